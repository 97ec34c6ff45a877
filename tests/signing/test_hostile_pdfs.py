"""Hostile PDFs through every verification endpoint (issue 15): never a 5xx, never a hang, always a verdict.

The corpus (tests/signing/hostile_pdfs.py) is hand-built bytes — deep nesting, broken cross-reference
tables, absurd startxref, /Prev loops, signature fields of the wrong type, absurd /ByteRange, bad object
streams, huge /Length, decompression bombs — plus mutations of a real sealed PDF. Each sample goes to
``POST /api/verify/pdf``, ``POST /api/wallet/verify/pdf`` and the page ``POST /verify/pdf``; each must
answer below 500, say "not valid" with known reason codes, and answer within the worker's time budget.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.rendering import CSRF_COOKIE
from core.settings import Settings
from signing import pdfwork, workers
from signing.report import REASONS
from signing.settings import SigningSettings
from tests.signing import hostile_pdfs

BUDGET = 8.0  # the workers' time budget in these tests (s)
GRACE = 20.0  # upload, database and process start-up on a busy CI machine, on top of the budget
CSRF = "hostile-csrf-token-0123456789"


def _use_pool(**changes: Any) -> None:
    """A fresh shared verification pool as these tests configure it, passed to signing explicitly."""
    workers.shutdown_shared_pool(wait=True)
    values: dict[str, Any] = {"verify_workers": 2, "verify_queue_limit": 32, "verify_time_budget": BUDGET}
    workers.configure_shared_pool(SigningSettings(**{**values, **changes}))


@pytest.fixture
def web(settings: Settings, engine: Any) -> Iterator[TestClient]:
    """The whole app, verify rate limit off, with the web pages' CSRF cookie set."""
    from onenumber.app import create_app

    app = create_app(settings.model_copy(update={"rate_limit_verify_per_minute": 0}))
    _use_pool()  # after create_app, which configures the pool from the environment
    try:
        with TestClient(app) as client:
            client.cookies.set(CSRF_COOKIE, CSRF)
            yield client
    finally:
        workers.shutdown_shared_pool(wait=True)
        workers.configure_shared_pool(None)


def _cms(sealed: bytes) -> bytes:
    match = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", sealed)
    assert match is not None
    return bytes.fromhex(match.group(1).decode())


def _three_endpoints(client: TestClient, data: bytes) -> dict[str, Any]:
    files = {"file": ("hostile.pdf", data, "application/pdf")}
    return {
        "api": client.post("/api/verify/pdf", files=files),
        "wallet": client.post("/api/wallet/verify/pdf", files=files),
        "page": client.post("/verify/pdf?lang=en", files=files, data={"csrf": CSRF}),
    }


def _problems(name: str, answers: dict[str, Any]) -> list[str]:
    """What is wrong with the three answers about one hostile sample (empty: all good)."""
    out: list[str] = []
    for where, response in answers.items():
        if response.status_code >= 500:
            out.append(f"{name} via {where}: HTTP {response.status_code}")
    api, wallet, page = answers["api"], answers["wallet"], answers["page"]
    if api.status_code == 200:
        body = api.json()
        unknown = set(body["reason_codes"]) - set(REASONS)
        if body["valid"] or not body["reason_codes"] or unknown:
            out.append(f"{name} via api: valid={body['valid']} codes={body['reason_codes']}")
    else:
        out.append(f"{name} via api: HTTP {api.status_code} {api.text[:200]}")
    if wallet.status_code == 200:
        body = wallet.json()
        if body["valid"] or body["verdict"] != "invalid_signature" or body["signature"]["valid"]:
            out.append(f"{name} via wallet: verdict {body['verdict']}")
        elif body["signature"]["reason_codes"] != api.json()["reason_codes"] and "verification_timeout" not in (
            *body["signature"]["reason_codes"], *api.json()["reason_codes"]
        ):  # (a slow sample may run out of its budget on one endpoint only, on a loaded machine)
            out.append(f"{name}: wallet and api disagree: {body['signature']['reason_codes']}")
    else:
        out.append(f"{name} via wallet: HTTP {wallet.status_code} {wallet.text[:200]}")
    empty_page = page.status_code == 422 and "The uploaded file is empty." in page.text
    if not empty_page and (page.status_code != 200 or "Not valid" not in page.text):
        out.append(f"{name} via page: HTTP {page.status_code}, no 'Not valid' verdict")
    return out


@pytest.mark.slow
def test_hostile_corpus_never_fails_or_hangs(web: TestClient, sealed: bytes) -> None:
    samples = {**hostile_pdfs.hand_built(_cms(sealed)), **hostile_pdfs.mutations(sealed)}
    assert len(samples) > 80
    problems: list[str] = []
    runner = ThreadPoolExecutor(max_workers=1)  # a watchdog: a hung request fails the test, not the run
    try:
        for name, data in samples.items():
            answer = runner.submit(_three_endpoints, web, data)
            try:
                answers = answer.result(timeout=3 * (BUDGET + GRACE))
            except FutureTimeout:
                pytest.fail(f"{name}: no answer within {3 * (BUDGET + GRACE):g} s (a hang)")
            problems += _problems(name, answers)
            for where, response in answers.items():
                if response.elapsed.total_seconds() > BUDGET + GRACE:
                    problems.append(f"{name} via {where}: {response.elapsed.total_seconds():.1f} s")
    finally:
        runner.shutdown(wait=False, cancel_futures=True)
    assert not problems, "\n".join(problems)
    # the real sealed document still verifies afterwards: no worker was left broken
    assert web.post("/api/verify/pdf", files={"file": ("ok.pdf", sealed, "application/pdf")}).json()["valid"]


def test_codes_of_known_samples(web: TestClient, sealed: bytes) -> None:
    """The verdict names what is wrong, for the samples that crashed the endpoints with 500 before."""
    hand = hostile_pdfs.hand_built(_cms(sealed))
    expected = {
        "deep_arrays": ["malformed_pdf"],
        "deep_in_field_value": ["malformed_pdf"],
        "startxref_huge": ["malformed_pdf"],
        "trailer_root_not_dict": ["malformed_pdf"],
        "self_ref_object": ["malformed_pdf"],
        "sig_value_int": ["malformed_pdf"],
        "sig_value_dangling_ref": ["malformed_pdf"],
        "objstm_negative_n": ["malformed_pdf"],
        "contents_int": ["malformed_pdf"],
        "empty": ["empty_file"],
        "not_pdf_png": ["not_pdf"],
        "sig_value_null": ["no_signature"],
        "byte_range_negative": ["signature_unreadable", "no_department_seal"],
    }
    for name, codes in expected.items():
        body = web.post("/api/verify/pdf", files={"file": ("h.pdf", hand[name], "application/pdf")}).json()
        assert body["reason_codes"] == codes, name
        assert len(body["reasons_zh"]) == len(body["reasons_en"]) == len(codes), name
    tampered = hostile_pdfs.mutations(sealed)["sealed_byte_range_overlapping"]
    body = web.post("/api/verify/pdf", files={"file": ("h.pdf", tampered, "application/pdf")}).json()
    assert "content_changed" in body["reason_codes"] and not body["valid"]


def test_overrunning_the_budget_is_a_timeout_verdict(
    web: TestClient, sealed: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that keeps its worker past the budget: the worker is killed, the answer is a verdict."""
    _use_pool(verify_time_budget=1.0)
    monkeypatch.setattr("signing.verify.examine", hostile_pdfs.stall)
    answers = _three_endpoints(web, sealed)
    assert answers["api"].status_code == 200
    body = answers["api"].json()
    assert body["valid"] is False and body["reason_codes"] == ["verification_timeout"]
    assert body["reasons_en"] == [REASONS["verification_timeout"][1].format(seconds="1")]
    wallet = answers["wallet"].json()
    assert wallet["verdict"] == "invalid_signature" and wallet["signature"]["reason_codes"] == ["verification_timeout"]
    assert answers["page"].status_code == 200 and "Verification took longer than 1 s" in answers["page"].text
    monkeypatch.setattr("signing.verify.examine", pdfwork.examine)  # the real examination, in a fresh worker
    assert web.post("/api/verify/pdf", files={"file": ("ok.pdf", sealed, "application/pdf")}).json()["valid"]


def test_full_pool_answers_503_with_retry_after(web: TestClient, sealed: bytes) -> None:
    _use_pool(verify_workers=1, verify_queue_limit=0)
    pool = workers.shared_pool()
    blocker = pool.submit(time.sleep, 60)  # the one worker is busy, nothing may wait
    try:
        answers = _three_endpoints(web, sealed)
        for where in ("api", "wallet"):
            response = answers[where]
            assert response.status_code == 503, where
            assert response.headers["retry-after"] == str(workers.RETRY_AFTER_S)
            assert response.json()["error"] == "temporarily_unavailable" and response.json()["detail"]
        page = answers["page"]
        assert page.status_code == 503 and page.headers["retry-after"] == str(workers.RETRY_AFTER_S)
        assert "Verification is busy" in page.text and page.headers["content-type"].startswith("text/html")
    finally:
        pool.shutdown(kill=True)
    with pytest.raises(workers.WorkFailed):
        blocker.result()
    # a fresh pool takes over
    assert web.post("/api/verify/pdf", files={"file": ("ok.pdf", sealed, "application/pdf")}).json()["valid"]
