"""Authorization matrix over EVERY route of the app (issue 8, item 1).

The expectations live in ``authz_matrix.toml`` next to this file, one entry per ``METHOD path`` of
``app.routes``: a route without an entry fails :func:`test_every_route_is_classified`, so a new route must
be classified before it ships. Each entry names the request to send (placeholders such as
``{license_a}`` come from the seeded world, see conftest.py) and the expected status per role. Roles:
anonymous, holder_a (张三), holder_b (李四), agent (acting for 张三's company under a delegation),
agent_nodeleg (no delegation), clerk_x, approver_x (department X = 卫健委), approver_y (Y = 民政局),
dept_grant (a system holder A granted), dept_nogrant (demo-verifier, no grant) and admin. Every token is a
real idp token; pages go through a real hall login.

Besides the status of each cell the test checks:
- no existence leak: an entry with ``missing`` repeats every refused cell (4xx) against a target that
  does not exist; status and body must be identical;
- no read of another holder's data: a 2xx body never carries another holder's clear ID number.

To classify a new route, add its entry with ``expect = ""`` and run with ``ONENUMBER_AUTHZ_RECORD=1``:
the observed outcomes are printed (never written back — review them, then paste the line).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

MATRIX = Path(__file__).with_name("authz_matrix.toml")
SUMMARY = Path("test-artifacts") / "authz.summary.txt"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def route_keys(app: Any) -> list[str]:
    """``METHOD path`` of every route the app serves (HEAD folded into GET)."""
    keys = []
    for route in iter_route_contexts(app.routes):
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            keys.append(f"{method} {route.path}")
    return keys


def load_matrix() -> dict[str, dict[str, Any]]:
    """The expectations, by ``METHOD path``."""
    return tomllib.loads(MATRIX.read_text(encoding="utf-8"))


def parse_expect(text: str, roles: list[str]) -> dict[str, str]:
    """``"anonymous=401 holder_a=200 others=404"`` → one outcome per role."""
    pairs = dict(part.split("=", 1) for part in text.split())
    others = pairs.pop("others", None)
    out = {role: pairs.get(role, others or "") for role in roles}
    unknown = set(pairs) - set(roles)
    assert not unknown, f"unknown roles {unknown}"
    return out


def outcome(response: Any) -> str:
    """``200``, ``404``… or ``303>/hall/login`` for redirects (location path)."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("location", "")
        return f"{response.status_code}>{location.split('?', 1)[0]}"
    return str(response.status_code)


def _fill(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: refs[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, refs) for v in value]
    return value


def send(world: Any, role: str, method: str, spec: dict[str, Any], *, missing: bool = False) -> Any:
    """One request of ``spec`` as ``role`` (or its ``missing`` variant: same request, absent target)."""
    if missing:
        variant = spec["missing"]
        spec = {**spec, **({"url": variant} if isinstance(variant, str) else variant), "fresh_session": False}
    kw: dict[str, Any] = {}
    if "raw" in spec:
        kw["content"] = spec["raw"].encode()
    if "json" in spec:
        kw["json"] = _fill(spec["json"], world.refs)
    if "form" in spec:
        kw["data"] = _fill(spec["form"], world.refs)
    if "upload" in spec:
        name, kind = spec["upload"].split(":")
        kw["files"] = {name: ("doc.pdf", PDF, "application/pdf") if kind == "pdf" else ("p.png", PNG, "image/png")}
    if spec.get("fresh_session"):  # a logout: sign in afresh for it, and again for whatever comes next
        world.page_clients.pop(role, None)
    call = world.page if spec.get("page") else world.api
    response = call(role, method, _fill(spec["url"], world.refs), **kw)
    if spec.get("fresh_session"):
        world.page_clients.pop(role, None)
    return response


def normalised(response: Any, refs: dict[str, str]) -> str:
    """The body with the target's identifiers and per-request nonces blanked (for existence-leak checks)."""
    text = response.text.replace(response.request.url.path, "<path>")  # pages link to themselves
    for key in ("license_a", "license_missing", "license_b", "app_a", "app_a_done", "app_missing", "license_org",
                *(k for k in refs if k.startswith("license_b_"))):
        text = text.replace(refs[key], "<target>")
    text = re.sub(r"\b\d{17}[\dX]\b", "<number>", text)  # a login form echoes the number typed
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    return re.sub(r'name="csrf" value="[^"]*"', "", text)


def test_every_route_is_classified(app: Any) -> None:
    """Every route of the app has a matrix entry, and every entry names a live route."""
    keys = set(route_keys(app))
    matrix = load_matrix()
    missing = sorted(keys - set(matrix))
    stale = sorted(set(matrix) - keys)
    assert not missing, f"routes without an authorization-matrix entry (tests/hardening/authz_matrix.toml): {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    for key, spec in matrix.items():
        assert spec.get("class") in {"public", "holder", "staff", "admin", "self", "protocol", "page"}, key
        assert spec.get("expect") or os.environ.get("ONENUMBER_AUTHZ_RECORD"), f"{key}: no expectations"


def test_authorization_matrix(world: Any) -> None:
    """Every cell of the matrix, with real requests against seeded data."""
    matrix = load_matrix()
    record = bool(os.environ.get("ONENUMBER_AUTHZ_RECORD"))
    numbers = world.clear_numbers()
    roles = world.roles
    failures: list[str] = []
    recorded: list[str] = []
    cells = 0
    live = set(route_keys(world.app))
    # In the matrix file's order, not the app's mounting order: some cells change state (a grant withdrawn,
    # a license suspended), so the order is part of the expectations and must not move with the routing.
    for key in [k for k in matrix if k in live]:
        spec = matrix[key]
        method = key.split(" ", 1)[0]
        if spec.get("skip"):
            continue
        expected = parse_expect(spec.get("expect", ""), roles)
        seen: dict[str, str] = {}
        for role in roles:
            response = send(world, role, method, spec)
            got = outcome(response)
            seen[role] = got
            cells += 1
            if not record and got != expected[role]:
                failures.append(f"{key} as {role}: expected {expected[role]}, got {got} {response.text[:160]!r}")
            if response.status_code < 300:
                for owner, number in numbers.items():
                    if owner != role and number in response.text and role not in spec.get("sees_numbers", []):
                        failures.append(f"{key} as {role}: the body carries {owner}'s ID number")
            refused = 400 <= response.status_code < 500 and role not in spec.get("entitled", [])
            if "missing" in spec and refused:
                other = send(world, role, method, spec, missing=True)
                cells += 1
                if (other.status_code, normalised(other, world.refs)) != (
                    response.status_code, normalised(response, world.refs)
                ):
                    failures.append(
                        f"{key} as {role}: existence leak — {response.status_code} {response.text[:120]!r} "
                        f"for the real target but {other.status_code} {other.text[:120]!r} for a missing one"
                    )
        recorded.append(f'["{key}"] expect = "{" ".join(f"{r}={seen[r]}" for r in roles)}"')
    if record:
        print("\n".join(recorded))
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(f"authorization matrix: {cells} cells checked, {len(failures)} failed\n")
    assert not failures, "\n".join(failures)


@pytest.fixture
def settings(settings: Any, world_tools: Any) -> Any:
    """The test settings without lockout and rate limits (see conftest.relaxed)."""
    return world_tools.relaxed(settings)
