"""Two instances on one PostgreSQL database (issue 16, item 3): a revocation at A is refused at B on B's next
request — through ``NOTIFY`` in the revoking transaction, not after B's periodic reload.

B's view of the revocations is made fresh (loaded well under its one-second reload interval) right before A
revokes, so only the notification can tell B in time. Runs in the PostgreSQL suite.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.ops_helpers import Instance, drop_database, new_database, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("ONENUMBER_TEST_DATABASE_URL"),
                       reason="LISTEN/NOTIFY is PostgreSQL's: this runs in the PostgreSQL suite"),
]
MASTER_KEY = "cross-instance-master-key-0123456789abc"
CLIENT = ("cross-check", "cross-check-secret-0123456789")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = new_database(tmp_path)
    a = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    b = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    servers = []
    try:
        a.cli("db", "upgrade")
        a.cli("clients", "add", CLIENT[0], "--kind", "department", "--grant-types", "client_credentials",
              "--scopes", "license:verify", "--secret", CLIENT[1], "--department-code", "11110000000245016J")
        servers.append(a.serve(tmp_path / "a.log", ready_timeout=120, ONENUMBER_WORKLOG_SEAL_INTERVAL="0"))
        # one platform: both instances are the same issuer (behind a balancer they share one URL)
        servers.append(b.serve(tmp_path / "b.log", ready_timeout=120, ONENUMBER_WORKLOG_SEAL_INTERVAL="0",
                               ONENUMBER_ISSUER=a.url))
        yield a.url, b.url
    finally:
        for server in servers:
            stop(server)
        drop_database(url)


def _token(base: str) -> str:
    response = httpx.post(base + "/token", data={"grant_type": "client_credentials", "client_id": CLIENT[0],
                                                 "client_secret": CLIENT[1], "scope": "license:verify"})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _active(base: str, token: str) -> bool:
    response = httpx.post(base + "/introspect", data={"token": token}, auth=CLIENT)
    assert response.status_code == 200, response.text
    return bool(response.json()["active"])


def test_revocation_at_a_is_refused_at_b_on_the_next_request(pair: tuple[str, str]) -> None:
    a, b = pair
    for round_no in range(3):
        token = _token(a)
        assert _active(b, token)  # B loads its view (and starts listening)
        time.sleep(0.3)
        assert _active(b, token)  # fresh: B will not reload for most of a second
        revoked = httpx.post(a + "/revoke", data={"token": token}, auth=CLIENT)
        assert revoked.status_code == 200, revoked.text
        assert not _active(b, token), f"round {round_no}: B still took the token A revoked"
        assert not _active(a, token)
