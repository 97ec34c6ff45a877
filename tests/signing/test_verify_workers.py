"""The PDF worker pool (signing/workers.py): bounded admission, time budget, crash recovery, and an event
loop that keeps answering while large files are verified."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.settings import Settings
from signing import workers
from signing.settings import SigningSettings
from tests.signing import hostile_pdfs


@pytest.fixture
def pool() -> Iterator[workers.WorkerPool]:
    """One worker, one waiting place, a 2 s budget."""
    p = workers.WorkerPool(workers=1, queue_limit=1, time_budget=2.0)
    yield p
    p.shutdown(kill=True)


def test_jobs_run_in_another_process(pool: workers.WorkerPool) -> None:
    assert pool.call(os.getpid) != os.getpid()
    assert pool.call(sum, [1, 2, 3]) == 6
    assert asyncio.run(pool.run(divmod, 7, 2)) == (3, 1)


def test_admission_is_bounded_and_submit_never_blocks(pool: workers.WorkerPool) -> None:
    running = pool.submit(time.sleep, 0.5)
    waiting = pool.submit(time.sleep, 0)
    started = time.monotonic()
    with pytest.raises(workers.WorkersBusy) as busy:
        pool.submit(time.sleep, 0)
    assert time.monotonic() - started < 0.1
    assert busy.value.status_code == 503 and busy.value.code == "temporarily_unavailable"
    assert busy.value.headers == {"Retry-After": str(workers.RETRY_AFTER_S)}
    running.result()
    waiting.result()
    assert pool.load() == (0, 0)
    assert pool.call(int, "5") == 5  # the places are free again


def test_overrun_kills_and_replaces_the_worker(pool: workers.WorkerPool) -> None:
    first = pool.call(os.getpid)
    with pytest.raises(workers.WorkTimeout):
        pool.call(time.sleep, 30)
    second = pool.call(os.getpid)
    assert second != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # the overrunning process is gone, not left running


def test_a_dying_worker_or_a_raising_job_fails_only_its_job(pool: workers.WorkerPool) -> None:
    with pytest.raises(workers.WorkFailed, match="died"):
        pool.call(os._exit, 3)
    with pytest.raises(workers.WorkFailed, match="ValueError"):
        pool.call(int, "not a number")
    assert pool.call(abs, -4) == 4


def test_shutdown_lets_queued_jobs_finish(pool: workers.WorkerPool) -> None:
    first, second = pool.submit(time.sleep, 0.2), pool.submit(abs, -1)
    pool.shutdown(wait=True)
    assert first.result() is None and second.result() == 1
    with pytest.raises(workers.WorkersBusy):
        pool.submit(abs, 1)


def test_memory_cap_turns_a_bomb_into_an_error() -> None:
    capped = workers.WorkerPool(workers=1, queue_limit=0, time_budget=20, memory_mb=512)
    try:
        with pytest.raises(workers.WorkFailed, match="MemoryError"):
            capped.call(bytearray, 1024 * 1024 * 1024)
        assert capped.call(len, b"ok") == 2
    finally:
        capped.shutdown(kill=True)


def test_shared_pool_starts_with_the_settings_its_caller_passes() -> None:
    workers.shutdown_shared_pool(wait=True)
    given = SigningSettings(verify_workers=1, verify_queue_limit=3, verify_time_budget=7, verify_worker_memory_mb=0)
    workers.configure_shared_pool(given)
    try:
        pool = workers.shared_pool()  # no process starts before the first job
        assert (pool.workers, pool.queue_limit, pool.time_budget, pool.memory_mb) == (1, 3, 7.0, 0)
        assert workers.shared_pool() is pool
        workers.configure_shared_pool(given.model_copy(update={"verify_workers": 0}))
        assert workers.shared_pool() is pool  # a running pool keeps its settings until it is shut down
        workers.shutdown_shared_pool(wait=True)
        assert workers.shared_pool().workers == workers.default_workers()
    finally:
        workers.shutdown_shared_pool(wait=True)
        workers.configure_shared_pool(None)


@pytest.fixture
def loop_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app's pool from the environment (create_app hands ``SigningSettings()`` to signing)."""
    monkeypatch.setenv("ONENUMBER_VERIFY_WORKERS", "2")
    monkeypatch.setenv("ONENUMBER_VERIFY_QUEUE_LIMIT", "4")
    workers.shutdown_shared_pool(wait=True)
    yield settings.model_copy(update={"rate_limit_verify_per_minute": 0})
    workers.shutdown_shared_pool(wait=True)
    workers.configure_shared_pool(None)


def test_event_loop_answers_while_large_files_are_verified(
    loop_settings: Settings, engine: Any, sealed: bytes
) -> None:
    """Four ~9 MB uploads in flight (two verifying, two queued): /healthz still answers, on the same event
    loop, before they are done. With every place of the pool taken, an upload is turned away with 503."""
    from onenumber.app import create_app

    large = hostile_pdfs.grown(sealed)
    assert 8 * 1024 * 1024 < len(large) < loop_settings.upload_limit_bytes
    app = create_app(loop_settings)
    pool = workers.shared_pool()

    async def scenario() -> tuple[int, int, list[httpx.Response], httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
            def upload() -> Any:
                return client.post("/api/verify/pdf", files={"file": ("large.pdf", large, "application/pdf")})

            uploads = [asyncio.create_task(upload()) for _ in range(4)]
            deadline = time.monotonic() + 60
            while pool.load()[0] == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            health = await client.get("/healthz")
            in_flight = sum(not task.done() for task in uploads)
            done = await asyncio.gather(*uploads)
            while True:  # take every place of the pool
                try:
                    pool.submit(time.sleep, 60)
                except workers.WorkersBusy:
                    break
            refused = await upload()
            return health.status_code, in_flight, list(done), refused

    try:
        health, in_flight, done, refused = asyncio.run(scenario())
    finally:
        pool.shutdown(kill=True)
    assert health == 200
    assert in_flight > 0, "/healthz waited for the verifications"
    for response in done:
        assert response.status_code == 200
        assert response.json()["valid"] is True, response.json()["reason_codes"]
    assert refused.status_code == 503 and refused.headers["retry-after"] == str(workers.RETRY_AFTER_S)
    assert refused.json()["error"] == "temporarily_unavailable"
