"""Two instances behind a real TLS balancer (issue 16): Debian's HAProxy with the shipped
``deploy/haproxy/haproxy.cfg`` on loopback, in front of two ``onenumber serve`` processes on one PostgreSQL
database and one Redis.

Seen from outside, through the balancer only: OAuth works over the balancer's https (the instances believe
its X-Forwarded-Proto/-For because they trust its address, not the client's); a token revoked through the
balancer is inactive at whichever instance answers next; the login limit is one limit for the platform (not
one per instance) and a client cannot dodge it by sending its own X-Forwarded-For, which the balancer drops;
an instance that dies is taken out of rotation while the other keeps serving.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import balancer_helpers as lb
from tests.helpers.ops_helpers import Instance, drop_database, free_port, new_database
from tests.helpers.redis_helpers import RedisServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs Debian's haproxy (tools/system-deps.sh)"),
    pytest.mark.skipif(not os.environ.get("ONENUMBER_TEST_DATABASE_URL"),
                       reason="several instances share PostgreSQL: this runs in the PostgreSQL suite"),
]
READY_TIMEOUT = 120
MASTER_KEY = "balancer-master-key-0123456789abcdef012345"
CLIENT = ("lb-check", "lb-check-secret-0123456789abcdef")
LOGIN_LIMIT = 4
LOGIN_FORM = {"number": "110101198001010013", "password": "wrong-password", "csrf": "x"}
OWNER = ("110101199003070038", "Owner-pass-2026")  # 赵六: the account a stranger guesses at
OTHER = ("110101198505050059", "Other-pass-2026")  # 钱七: someone else, signing in meanwhile
FREE_FAILURES = 2  # wrong passwords before an account is slowed (ONENUMBER_LOGIN_MAX_FAILURES)


@dataclass
class Platform:
    url: str  # the balancer's https address: the platform's one public URL
    plain_url: str  # its plain-HTTP port
    instances: list[subprocess.Popen[bytes]]
    haproxy: subprocess.Popen[bytes]
    cert: Path
    direct: list[str]  # each instance's own address (the back network)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("balancer")
    redis_server = RedisServer(tmp / "redis", password="balancer-redis-password")
    redis_server.start()
    url = new_database(tmp)
    a = Instance(database_url=url, blob_dir=tmp / "blobs", secret_key=MASTER_KEY, port=free_port())
    b = Instance(database_url=url, blob_dir=tmp / "blobs", secret_key=MASTER_KEY, port=free_port())
    servers: list[subprocess.Popen[bytes]] = []
    balancer = None
    try:
        balancer = lb.start(tmp, (f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"))
        env = {
            "ONENUMBER_ISSUER": balancer.url,
            "ONENUMBER_FORWARDED_ALLOW_IPS": "127.0.0.1",  # the balancer's address: only it is believed
            "ONENUMBER_REDIS_URL": redis_server.url,
            "ONENUMBER_RATE_LIMIT_LOGIN_PER_MINUTE": str(LOGIN_LIMIT),
            "ONENUMBER_LOGIN_MAX_FAILURES": str(FREE_FAILURES),
            "ONENUMBER_WORKLOG_SEAL_INTERVAL": "0",
            "ONENUMBER_PURGE_INTERVAL": "0",
        }
        a.cli("db", "upgrade")
        a.cli("clients", "add", CLIENT[0], "--kind", "department", "--grant-types", "client_credentials",
              "--scopes", "license:verify", "--secret", CLIENT[1], "--department-code", "11110000000245016J")
        a.cli("persons", "add", OWNER[0], "赵六", "--password", OWNER[1])
        a.cli("persons", "add", OTHER[0], "钱七", "--password", OTHER[1])
        servers.extend(lb.serve_pair((a, b), tmp, ready_timeout=READY_TIMEOUT, **env))
        lb.wait_ready(balancer)
        yield Platform(url=balancer.url, plain_url=balancer.plain_url, instances=servers, haproxy=balancer.proc,
                       cert=balancer.cert, direct=[f"http://127.0.0.1:{x.port}" for x in (a, b)])
    finally:
        lb.shut_down(balancer, servers)
        drop_database(url)
        redis_server.stop()


def _client(platform: Platform) -> httpx.Client:
    return httpx.Client(base_url=platform.url, verify=str(platform.cert), timeout=30)


def _token(http: httpx.Client) -> str:
    response = http.post("/token", data={"grant_type": "client_credentials", "client_id": CLIENT[0],
                                         "client_secret": CLIENT[1], "scope": "license:verify"})
    assert response.status_code == 200, response.text  # over https at the balancer: no InsecureTransportError
    return str(response.json()["access_token"])


def test_oauth_over_the_balancers_https(platform: Platform) -> None:
    with _client(platform) as http:
        discovery = http.get("/.well-known/openid-configuration").json()
        assert discovery["issuer"] == platform.url and discovery["token_endpoint"].startswith(platform.url)
        tokens = [_token(http) for _ in range(6)]  # least connections: both instances answer some
        for token in tokens:
            introspected = http.post("/introspect", data={"token": token}, auth=CLIENT).json()
            assert introspected["active"] is True and introspected["iss"] == platform.url
    plain = httpx.get(platform.plain_url + "/.well-known/openid-configuration", timeout=10)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")  # HTTP only redirects


def test_a_revocation_holds_at_every_instance(platform: Platform) -> None:
    """The other instance learns of the revocation by NOTIFY as the revoking transaction commits. That is
    asynchronous: a request that reaches it within the same millisecond can still pass (seen under load),
    so the check is that every answer from 100 ms on is "inactive" — well inside the 1 s periodic reload,
    so only the notification can explain it."""
    with _client(platform) as http:
        for _ in range(3):
            token = _token(http)
            for _ in range(4):  # both instances have a fresh view that includes the live token
                assert http.post("/introspect", data={"token": token}, auth=CLIENT).json()["active"] is True
            assert http.post("/revoke", data={"token": token}, auth=CLIENT).status_code == 200
            time.sleep(0.1)
            answers = [http.post("/introspect", data={"token": token}, auth=CLIENT).json()["active"] for _ in range(8)]
            assert answers == [False] * 8, answers


def test_the_login_limit_is_one_limit_and_cannot_be_dodged_with_forwarded_headers(platform: Platform) -> None:
    with _client(platform) as http:
        codes = []
        for n in range(2 * LOGIN_LIMIT):
            # a client naming another address each time: the balancer drops it and says who really connected
            forged = {"X-Forwarded-For": f"203.0.113.{n + 1}", "Forwarded": f"for=198.51.100.{n + 1}"}
            codes.append(http.post("/login", data=LOGIN_FORM, headers=forged).status_code)
    assert sum(code != 429 for code in codes) == LOGIN_LIMIT, codes  # not one limit per instance or per header
    assert codes[LOGIN_LIMIT:] == [429] * LOGIN_LIMIT, codes


def _from(platform: Platform, address: str) -> httpx.Client:
    """A browser connecting from ``address`` (any 127.x.y.z is this host): the balancer sees that address."""
    return httpx.Client(base_url=platform.url, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address, verify=str(platform.cert)))


def _sign_in(browser: httpx.Client, number: str, password: str) -> int:
    page = browser.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return browser.post("/login", data={"csrf": token.group(1), "number": number, "password": password}).status_code


def test_a_strangers_guesses_neither_keep_the_owner_out_nor_slow_anyone_else(platform: Platform) -> None:
    """Real client addresses through the real balancer: a stranger at one address guesses an account's
    password until the account is slowed; its owner, on the device they signed in with before, gets in at
    once, and someone else signing in from another address is not touched (limits are per real address)."""
    with _from(platform, "127.0.0.2") as owner:
        assert _sign_in(owner, *OWNER) == 303  # an earlier sign-in: this browser is a known device
        assert owner.cookies.get("idp_device")
        with _from(platform, "127.0.0.3") as stranger:
            tried = [_sign_in(stranger, OWNER[0], f"Guess-{n}-2026") for n in range(FREE_FAILURES)]
            assert tried == [401] * FREE_FAILURES, tried
            assert _sign_in(stranger, *OWNER) == 429  # the account is slowed now: even the right password waits
        assert _sign_in(owner, *OWNER) == 303  # ... but not for its owner's known device
    with _from(platform, "127.0.0.4") as other:
        assert _sign_in(other, *OTHER) == 303


def test_metrics_are_scraped_on_the_instances_never_through_the_balancer(platform: Platform) -> None:
    """Behind the balancer the app sees the client's forwarded address, which may be in the allowed
    networks (here loopback): the balancer itself refuses /metrics, however the path is spelt."""
    with _client(platform) as http:
        for path in ("/metrics", "/%6Detrics", "/metrics/", "/metrics?x=1"):
            assert http.get(path).status_code == 404, path
    for direct in platform.direct:
        scraped = httpx.get(direct + "/metrics", timeout=10)
        assert scraped.status_code == 200 and "onenumber_http_requests_total" in scraped.text


def test_a_dead_instance_leaves_rotation(platform: Platform) -> None:
    victim = platform.instances[0]
    victim.kill()
    victim.wait(timeout=10)
    time.sleep(7)  # three failed checks at fastinter 1 s, plus margin
    with _client(platform) as http:
        codes = [http.get("/.well-known/openid-configuration").status_code for _ in range(10)]
        assert codes == [200] * 10, codes
        _token(http)
