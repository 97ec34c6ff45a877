"""A failed delegated download is not logged as a download (issue 15): when an agent downloads the company's
license PDF and the blob store fails, the holder's access log says the download failed, never that it
happened; a download that worked is logged once, after the bytes were read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.runtime import runtime_of
from storage.deps import BLOB_STORE
from wallet.licenses import service as license_service
from wallet.licenses.models import AccessLog


def _actions(world: Any, identifier: str) -> list[str]:
    with runtime_of(world.app).sessionmaker() as session:
        lic = license_service.get_by_identifier(session=session, identifier=identifier)
        assert lic is not None
        rows = session.execute(select(AccessLog.action).where(AccessLog.license_id == lic.id)
                               .order_by(AccessLog.id)).scalars().all()
        return [str(a) for a in rows]


def _blob_path(world: Any, identifier: str) -> Any:
    with runtime_of(world.app).sessionmaker() as session:
        lic = license_service.get_by_identifier(session=session, identifier=identifier)
        assert lic is not None
        key = lic.pdf_blob_key
    found = [p for p in runtime_of(world.app).get(BLOB_STORE).root.rglob(key) if p.is_file()]
    assert len(found) == 1, found
    return found[0]


def test_failed_delegated_download_is_logged_as_failed(world: Any) -> None:
    identifier = world.refs["license_org"]
    pdf = f"/api/wallet/licenses/{identifier}/pdf"
    ok = world.api("agent", "GET", pdf)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    assert _actions(world, identifier).count("download") == 1

    path = _blob_path(world, identifier)
    saved = path.read_bytes()
    path.unlink()  # the store lost the blob (a directory-based LocalBlobStore whose file was removed)
    try:
        failed = world.api("agent", "GET", pdf)
        assert failed.status_code == 404 and failed.json()["error"] == "blob_not_found", failed.text
        page = world.page("agent", "GET", f"/hall/licenses/{identifier}/pdf")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        actions = _actions(world, identifier)
        assert actions.count("download") == 1, actions  # still only the one that worked
        assert actions.count("download_failed") == 2, actions
    finally:
        path.write_bytes(saved)
    again = world.api("agent", "GET", pdf)
    assert again.status_code == 200 and _actions(world, identifier).count("download") == 2


def test_holder_sees_the_failed_attempt_on_the_grants_page(world: Any) -> None:
    identifier = world.refs["license_org"]
    path = _blob_path(world, identifier)
    saved = path.read_bytes()
    path.unlink()
    try:
        assert world.api("agent", "GET", f"/api/wallet/licenses/{identifier}/pdf").status_code == 404
    finally:
        path.write_bytes(saved)
    log = world.api("agent", "GET", "/api/wallet/access-log").json()
    assert any(e["action"] == "download_failed" for e in log), log
    page = world.page("agent", "GET", "/hall/grants")
    assert page.status_code == 200 and "下载未成功" in page.text
