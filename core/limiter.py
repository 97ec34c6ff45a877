"""Rate-limit backends (issue 16, item 6): where the token buckets of ``core/ratelimit.py`` live.

- :class:`LocalLimiter`, the embedded default: buckets in this process. Behind N instances each one limits on
  its own, so the platform allows N× the limit.
- :class:`RedisLimiter`, when ``ONENUMBER_REDIS_URL`` is set: one bucket per key in Redis for every instance,
  taken atomically by one Lua script (refill, take, expiry in one step; the time is Redis's own, so the
  instances' clocks do not matter). The same token-bucket semantics as the local one: ``rate`` per minute,
  bursts up to ``rate``. Keys are ``onenumber:rl:<kind>:<HMAC of the address>`` under a key derived from the
  master key: no address (or anything else a caller limits on) is stored in clear, and the key space cannot be
  reversed by hashing every IPv4 address. Sockets time out after :data:`SOCKET_TIMEOUT_S`, without retries.

A backend that cannot answer raises :class:`LimiterUnavailable`; what that means for a request (let it
through, or refuse it) is the middleware's policy. After a failure the Redis backend does not try again for
:data:`RETRY_S` (every request in between is told at once, so an outage costs no socket waits), logs once when
an outage starts and once when it ends (never the URL: it holds the password).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread

from core.crypto import blind_index
from core.runtime import Slot
from core.settings import Settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger("onenumber.ratelimit")

MAX_BUCKETS = 100_000  # forget the least recently seen addresses beyond this (memory stays bounded)
SOCKET_TIMEOUT_S = 0.25  # Redis on the back network answers in well under a millisecond
RETRY_S = 2.0  # after a failure, how long the backend reports itself down without trying
KEY_PREFIX = "onenumber:rl:"

# KEYS[1] the bucket (a hash: t = tokens, ts = time of the last take); ARGV[1] the rate per minute.
# Returns the seconds to wait as a string (Redis truncates Lua numbers to integers): "0" when taken.
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1]) or rate
local last = tonumber(state[2]) or now
local per_second = rate / 60
tokens = math.min(rate, tokens + math.max(0, now - last) * per_second)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / per_second end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((rate - tokens) / per_second * 1000) + 1000)
return tostring(wait)
"""


class LimiterUnavailable(Exception):
    """The shared backend cannot be reached; ``retry_after`` is the seconds a client should wait."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class LimiterBackend(Protocol):
    """Where buckets live: ``take`` one token of ``kind`` for ``key`` at ``rate`` per minute."""

    name: str  # "embedded" or "redis"

    async def take(self, kind: str, key: str, rate: int) -> float:
        """0 if allowed, else the seconds until a token is available; LimiterUnavailable if it cannot tell."""
        ...

    def check(self) -> str | None:
        """None when the backend answers now, else why not (blocking; for ``/readyz``)."""
        ...


class TokenBucket:
    """``rate`` requests per minute with bursts up to ``rate``, per key; thread-safe, bounded memory."""

    def __init__(self, rate: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0 if allowed, else the seconds until one is available."""
        per_second = self.rate / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / per_second
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


class LocalLimiter:
    """The embedded default: one :class:`TokenBucket` per kind, in this process."""

    name = "embedded"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, int], TokenBucket] = {}
        self._lock = threading.Lock()

    async def take(self, kind: str, key: str, rate: int) -> float:
        """Take from this process's bucket (never unavailable)."""
        bucket = self._buckets.get((kind, rate))
        if bucket is None:
            with self._lock:
                bucket = self._buckets.setdefault((kind, rate), TokenBucket(rate, clock=self.clock))
        return bucket.take(key)

    def check(self) -> str | None:
        """Always available."""
        return None


class RedisLimiter:
    """Buckets shared by every instance, in Redis (see the module docstring)."""

    name = "redis"

    def __init__(self, url: str, *, master_key: str, socket_timeout: float = SOCKET_TIMEOUT_S) -> None:
        # redis-py is imported only when ONENUMBER_REDIS_URL is set: it adds 0.1–0.8 s to every start-up
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors: type[Exception] = redis.RedisError
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),  # a failure is reported at once; the next request tries again
            retry_on_timeout=False,
            health_check_interval=30,
        )
        self._script = self.client.register_script(TAKE_SCRIPT)
        self._hmac_key = bytes.fromhex(blind_index("rate-limit-keys", master_key=master_key, context="core.limiter"))
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which no request tries Redis
        self._outage = False

    def redis_key(self, kind: str, key: str) -> str:
        """The Redis key of ``key``'s bucket of ``kind`` (keyed hash: nothing in clear)."""
        digest = hmac.new(self._hmac_key, key.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{KEY_PREFIX}{kind}:{digest}"

    async def take(self, kind: str, key: str, rate: int) -> float:
        """Take from the shared bucket (a worker thread runs the round trip: the event loop never waits)."""
        if time.monotonic() < self._down_until:
            raise LimiterUnavailable("redis unreachable", retry_after=max(1, round(RETRY_S)))
        return await anyio.to_thread.run_sync(self._take_blocking, self.redis_key(kind, key), rate)

    def _take_blocking(self, redis_key: str, rate: int) -> float:
        try:
            wait = float(self._script(keys=[redis_key], args=[rate]))
        except self._errors as exc:
            self._failed(exc)
            raise LimiterUnavailable(f"redis unreachable: {type(exc).__name__}", retry_after=max(1, round(RETRY_S))) from exc
        if self._outage:
            with self._lock:
                if self._outage:
                    self._outage = False
                    log.warning("rate limits: Redis answers again; shared limits apply and logins are served")
        return wait

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_S
            if self._outage:
                return
            self._outage = True
        # The exception's text may name the host; its type is enough to start looking.
        log.error(
            "rate limits: Redis unreachable (%s); until it is back, logins, TOTP, password reset and "
            "registration answer 503 and the other limits are not applied",
            type(exc).__name__,
        )

    def check(self) -> str | None:
        """PING Redis now."""
        try:
            self.client.ping()
        except self._errors as exc:
            return type(exc).__name__
        return None

    def close(self) -> None:
        """Drop the pooled connections."""
        self.client.close()


def open_limiter(settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> LimiterBackend:
    """The backend the settings ask for: Redis when ``redis_url`` is set, else this process's buckets."""
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, master_key=settings.secret_key)
    return LocalLimiter(clock=clock)


LIMITER: Slot[LimiterBackend] = Slot("limiter", lambda runtime: open_limiter(runtime.settings))
"""The app's rate-limit backend (the composition root puts the one its middleware uses)."""
