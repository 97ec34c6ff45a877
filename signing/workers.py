"""A bounded pool of worker processes for heavy PDF work (issue 15): nothing CPU-bound on the event loop,
and no hostile file can hold a worker longer than its time budget.

pyHanko's parsing and validation are pure Python and hold the GIL, so a thread would still stall the event
loop's thread; a process does not, and a process can be killed when it overruns its budget (a thread
cannot). Each worker runs one job at a time; a job is a module-level function and plain arguments (bytes,
frozen dataclasses), and it returns plain data — workers never touch the database.

- Admission is bounded: ``workers`` running plus ``queue_limit`` waiting; one more job raises
  :class:`WorkersBusy` (503 ``temporarily_unavailable`` with ``Retry-After``).
- A job still running after ``time_budget`` seconds gets :class:`WorkTimeout`; its worker is killed and
  replaced. A worker that dies (or a job that raises) gets :class:`WorkFailed`.
- Workers start from a fork server that has already imported ``signing.pdfwork`` (``forkserver`` context,
  ``spawn`` where there is none): never a fork of a multi-threaded server process, and a replacement
  worker starts in milliseconds, not the second an import of pyHanko takes.
- Each worker's address space is capped (``memory_mb``): a decompression bomb ends in ``MemoryError``
  inside the worker, not in the host's OOM killer. Workers run at a lower CPU priority than the server.

:func:`shared_pool` is the one pool of this process, started on first use and replaced after
:func:`shutdown_shared_pool`. Its settings (``SigningSettings``: ``verify_*``) are the caller's: the
composition root (onenumber/app.py, the CLI) hands them to :func:`configure_shared_pool`; until one does,
the pool starts with ``SigningSettings()`` (the environment, ``ONENUMBER_VERIFY_*``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from signing.errors import SigningError
from signing.settings import SigningSettings

log = logging.getLogger("onenumber.signing.workers")
T = TypeVar("T")
RETRY_AFTER_S = 5
NICENESS = 10
PRELOAD = ["signing.pdfwork"]
_STOP = object()


class WorkersBusy(SigningError):
    """Every worker is busy and the queue is full: answer 503 and let the client come back."""

    code = "temporarily_unavailable"
    status_code = 503
    headers = {"Retry-After": str(RETRY_AFTER_S)}

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or "核验服务繁忙，请稍后重试 (PDF verification is busy; please retry shortly)"
        )


class WorkTimeout(SigningError):
    """The job overran its time budget; its worker was killed and replaced."""

    code = "verification_timeout"
    status_code = 503


class WorkFailed(SigningError):
    """The job raised, or its worker died, before it answered."""

    code = "verification_failed"
    status_code = 503


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any]


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Body of a worker process: run jobs from ``conn`` until it closes or says stop."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the web server in the scheduler's eyes: on a small host the workers take the idle CPU, and the
    # server's event loop (logins, health probes) still gets a core when it needs one.
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    _limit_memory(memory_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message
        try:
            reply: tuple[Any, ...] = ("ok", fn(*args))
        except Exception as exc:  # handed to the parent, which logs it with this traceback
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500], traceback.format_exc(limit=20)[-4000:])
        del message, fn, args
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        del reply


class _Worker:
    """One worker process and the parent's end of its pipe; used by one dispatcher thread only."""

    def __init__(self, ctx: BaseContext, memory_mb: int) -> None:
        self._ctx = ctx
        self._memory_mb = memory_mb
        self._proc: Any = None
        self._conn: Connection | None = None

    def start(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(child, self._memory_mb), name="onenumber-pdf-worker", daemon=True
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], budget: float) -> Any:
        if self._proc is None or not self._proc.is_alive():
            self.stop(kill=True)
            self.start()
        assert self._conn is not None
        started = time.monotonic()
        try:
            self._conn.send((fn, args))
            if not self._conn.poll(max(0.0, budget - (time.monotonic() - started))):
                self.stop(kill=True)
                raise WorkTimeout(f"the job took longer than {budget:g} s; its worker was replaced")
            reply = self._conn.recv()
        except (EOFError, OSError) as exc:
            code = None
            if self._proc is not None:
                self._proc.join(1)
                code = self._proc.exitcode
            self.stop(kill=True)
            raise WorkFailed(f"the worker process died (exit code {code})") from exc
        if reply[0] == "error":
            log.warning("PDF worker job %s failed: %s\n%s", getattr(fn, "__name__", fn), reply[1], reply[2])
            raise WorkFailed(reply[1])
        return reply[1]

    def kill_process(self) -> None:
        """Kill the process now (from another thread); the dispatcher finds the pipe closed."""
        proc = self._proc
        if proc is not None:
            proc.kill()

    def stop(self, *, kill: bool = False) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            if not kill:
                try:
                    conn.send(None)
                except (OSError, ValueError):
                    pass
            conn.close()
        if proc is not None:
            if kill:
                proc.kill()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


class WorkerPool:
    """``workers`` processes, at most ``queue_limit`` jobs waiting, ``time_budget`` seconds per job."""

    def __init__(
        self,
        *,
        workers: int,
        queue_limit: int,
        time_budget: float,
        memory_mb: int = 0,
        start_method: str | None = None,
    ) -> None:
        if workers < 1 or queue_limit < 0 or time_budget <= 0:
            raise ValueError("workers >= 1, queue_limit >= 0 and time_budget > 0 are required")
        self.workers = workers
        self.queue_limit = queue_limit
        self.time_budget = time_budget
        self.memory_mb = memory_mb
        self.start_method = start_method or _default_start_method()
        self._admission = threading.BoundedSemaphore(workers + queue_limit)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._workers: list[_Worker] = []
        self._closed = False
        self._kill = False
        self._pending = 0
        self._running = 0

    @classmethod
    def from_settings(cls, settings: SigningSettings, *, start_method: str | None = None) -> WorkerPool:
        """A pool as ``settings`` say (``verify_workers`` 0: :func:`default_workers`)."""
        return cls(
            workers=settings.verify_workers or default_workers(),
            queue_limit=settings.verify_queue_limit,
            time_budget=settings.verify_time_budget,
            memory_mb=settings.verify_worker_memory_mb,
            start_method=start_method,
        )

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`: no new jobs are accepted."""
        return self._closed

    def load(self) -> tuple[int, int]:
        """(jobs running, jobs waiting) right now."""
        with self._lock:
            return self._running, self._pending - self._running

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` for a worker process; raises :class:`WorkersBusy` when the queue is full.

        Never blocks: safe to call on the event loop (processes start in the dispatcher threads).
        """
        if not self._admission.acquire(blocking=False):
            raise WorkersBusy()
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                self._admission.release()
                raise WorkersBusy("the PDF worker pool is shutting down; please retry")
            self._start_dispatchers()
            self._pending += 1
            self._jobs.put(_Job(fn, args, future))  # under the lock: never behind the stop markers
        future.add_done_callback(self._release)
        return future

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker, waiting for the answer (synchronous callers, worker threads)."""
        return self.submit(fn, *args).result()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker, awaited without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def shutdown(self, *, wait: bool = True, kill: bool = False) -> None:
        """Accept no more jobs; let the queued ones finish, or with ``kill`` fail them and stop the workers
        now. With ``wait``, return once every worker process has exited."""
        dropped: list[_Job] = []
        with self._lock:
            first = not self._closed
            self._closed = True
            self._kill = self._kill or kill
            threads, workers = list(self._threads), list(self._workers)
            if kill:
                dropped = self._take_queued()
            if first:
                for _ in threads:
                    self._jobs.put(_STOP)
        for job in dropped:  # outside the lock: the futures' callbacks take it
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(WorkFailed("the PDF worker pool was shut down"))
        if kill:
            for worker in workers:
                worker.kill_process()  # a running job's dispatcher then sees the pipe close
        if wait:
            for thread in threads:
                thread.join()

    def _take_queued(self) -> list[_Job]:
        """Remove the waiting jobs from the queue (stop markers stay)."""
        jobs: list[_Job] = []
        markers = 0
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Job):
                jobs.append(item)
            else:
                markers += 1
        for _ in range(markers):
            self._jobs.put(_STOP)
        return jobs

    def _release(self, _future: Future[Any]) -> None:
        with self._lock:
            self._pending -= 1
        self._admission.release()

    def _start_dispatchers(self) -> None:
        """Start the dispatcher threads (each starts its worker process when it gets its first job)."""
        if self._threads:
            return
        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            ctx.set_forkserver_preload(PRELOAD)  # type: ignore[attr-defined]
        for n in range(self.workers):
            worker = _Worker(ctx, self.memory_mb)
            thread = threading.Thread(target=self._dispatch, args=(worker,), name=f"pdf-dispatch-{n}", daemon=True)
            self._workers.append(worker)
            self._threads.append(thread)
            thread.start()

    def _dispatch(self, worker: _Worker) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    break
                if not job.future.set_running_or_notify_cancel():
                    continue
                with self._lock:
                    self._running += 1
                try:
                    if self._kill:
                        raise WorkFailed("the PDF worker pool was shut down")
                    result = worker.run(job.fn, job.args, self.time_budget)
                except SigningError as exc:
                    job.future.set_exception(exc)
                except Exception as exc:  # pickling or the pipe failed: the caller must hear of it
                    worker.stop(kill=True)
                    job.future.set_exception(WorkFailed(f"{type(exc).__name__}: {exc}"))
                else:
                    job.future.set_result(result)
                finally:
                    with self._lock:
                        self._running -= 1
                    del job
        finally:
            worker.stop(kill=self._kill)


def _default_start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


_shared: WorkerPool | None = None
_shared_settings: SigningSettings | None = None
_shared_lock = threading.Lock()


def default_workers() -> int:
    """min(2, CPU count): leave the other cores to the web server and the database."""
    return max(1, min(2, os.cpu_count() or 1))


def configure_shared_pool(settings: SigningSettings | None) -> None:
    """The settings the shared pool starts with from now on (None: the default, ``SigningSettings()``).

    A pool already running keeps the settings it started with until :func:`shutdown_shared_pool`.
    """
    global _shared_settings
    with _shared_lock:
        _shared_settings = settings


def shared_pool() -> WorkerPool:
    """The pool of this process, created on first use with the settings of :func:`configure_shared_pool`."""
    global _shared
    pool = _shared
    if pool is not None and not pool.closed:
        return pool
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = WorkerPool.from_settings(
                _shared_settings if _shared_settings is not None else SigningSettings()
            )
        return _shared


def install_shared_pool(pool: WorkerPool | None) -> WorkerPool | None:
    """Make ``pool`` the shared one (tests; None: the next use makes one); returns the previous one."""
    global _shared
    with _shared_lock:
        previous, _shared = _shared, pool
    return previous


def shutdown_shared_pool(*, wait: bool = False) -> None:
    """Stop the shared pool once its queued jobs are done; the next use starts a new one."""
    with _shared_lock:
        pool = _shared
    if pool is not None:
        pool.shutdown(wait=wait)
