"""The channels' public pages (no login): each renders in Chinese by default and in English on request,
with ``<html lang>`` set to the one language code, and nothing of the other language or of the code
leaking into the page (placeholders, message keys, template syntax)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.runtime import Runtime, runtime_of
from core.settings import Settings
from onenumber.app import create_app

PAGES = ["/verify", "/hall", "/hall/progress", "/kiosk", "/login"]
LEAKS = re.compile(r"\{\{|\{%|\bNone\b|Traceback|\b[a-z]+(?:_[a-z]+)+\b(?=[^<>]*<)")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _visible(html: str) -> str:
    """The page's text as a reader sees it (no scripts, styles or tags)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("path", PAGES)
def test_public_page_is_chinese_by_default(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:300])
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN"' in page.text
    text = _visible(page.text)
    assert re.search(r"[\u4e00-\u9fff]", text), path
    assert not LEAKS.search(text), (path, LEAKS.search(text))


@pytest.mark.parametrize("path", PAGES)
def test_public_page_in_english_on_request(client: TestClient, path: str) -> None:
    page = client.get(path, params={"lang": "en"})
    assert page.status_code == 200, (path, page.status_code)
    assert '<html lang="en"' in page.text
    text = _visible(page.text)
    # the switch back to Chinese may name itself in Chinese; nothing else may
    chinese = [run for run in re.findall(r"[\u4e00-\u9fff]+", text) if run not in {"中文", "简体中文"}]
    assert not chinese, (path, chinese[:5])


def test_the_old_zh_code_still_reads_as_chinese(client: TestClient) -> None:
    assert '<html lang="zh-CN"' in client.get("/verify", params={"lang": "zh"}).text


def test_the_runtime_is_the_only_thing_on_app_state(app: FastAPI) -> None:
    runtime = runtime_of(app)
    assert isinstance(runtime, Runtime)
    assert set(vars(app.state)["_state"]) == {"runtime"}
    assert runtime.token_verifier is not None and runtime.sessionmaker is not None
