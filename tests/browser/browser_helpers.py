"""Helpers of the browser journeys (imported by conftest.py and the tests): accounts, logging in,
browsing with console-error collection, axe-core checks and screenshots."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = sys.executable
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"

ZHANG = ("11010519491231002X", "Zhangsan-2026", "张三")
LI = ("110102199101010078", "Lisi-2026", "李四")
WANG = ("440882198503293017", "Wangwu-2026", "王五")


def run(args: list[str], env: dict[str, str]) -> str:
    """Run a command in the repository; fail with its output."""
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass
class Server:
    """The running platform: base URL and the environment its CLI needs."""

    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        """Run ``onenumber`` against this server's database."""
        return run([PYTHON, "-m", "onenumber", *args], self.env)


@dataclass
class Watch:
    """Console errors and uncaught exceptions of every page of a context."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        def on_console(msg: Any) -> None:
            if msg.type != "error":
                return
            # A human error page answers with its HTTP status (401, 404, ...); Chromium reports the
            # document's own status as "Failed to load resource". Only failing sub-resources count.
            own_status = msg.text.startswith("Failed to load resource") and (
                (msg.location or {}).get("url", "").split("#")[0] == page.url.split("#")[0]
            )
            if not own_status:
                self.errors.append(f"{page.url}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))


@dataclass
class Browsing:
    """Helpers of one journey: new contexts, axe checks, screenshots, and the final no-console-error check."""

    browser: Any
    server: Server
    watch: Watch = field(default_factory=Watch)
    contexts: list[Any] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def context(self, **options: Any) -> Any:
        """A fresh browser context (own cookies) whose pages are watched for console errors."""
        ctx = self.browser.new_context(base_url=self.server.url, locale="zh-CN", **options)
        ctx.on("page", self.watch.attach)
        self.contexts.append(ctx)
        return ctx

    def page(self, ctx: Any | None = None) -> Any:
        """A new watched page."""
        ctx = ctx or self.context()
        page = ctx.new_page()
        return page

    def axe(self, page: Any, label: str) -> None:
        """Run axe-core on the page; fail on serious or critical violations."""
        # Evaluated over the DevTools protocol rather than add_script_tag: the pages' strict CSP stays on,
        # so a CSP violation of our own still shows up as a console error.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
        result = page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe violations on {label} ({page.url}): {bad}"
        self.checked.append(label)

    def shot(self, page: Any, name: str, *, docs: bool = False) -> Path:
        """Screenshot to test-artifacts/screenshots (and docs/screenshots for the main pages)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if docs:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
        return path

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def login(
    page: Any, who: tuple[str, str, str], *, start: str = "/hall/login", act_for: str | None = None
) -> None:
    """Log in at the idp's page through ``start`` (the hall's code flow by default)."""
    page.goto(start)
    page.wait_for_url("**/login**")
    page.fill("#number", who[0])
    page.fill("#password", who[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/select" in page.url:
        page.check(f"input[name=delegation][value='{org_value(page, act_for)}']")
        page.click("button[type=submit]")
        page.wait_for_load_state()


def org_value(page: Any, act_for: str | None) -> str:
    """The radio value of the identity choice on the idp's select page ('' = myself)."""
    if act_for is None:
        return ""
    label = page.locator("label", has_text=act_for).first
    return str(label.locator("input").get_attribute("value"))
