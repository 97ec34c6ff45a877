"""The English switch changes the hall's language (and the idp's pages with it); a wrong password shows a
human sentence, never JSON; a broken link shows a human error page."""

from __future__ import annotations

from tests.browser.browser_helpers import ZHANG, Browsing


def test_english_switch_and_wrong_password(web: Browsing) -> None:
    page = web.page()
    page.goto("/hall")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "网上办事大厅" in page.locator("h1").inner_text()
    page.click("a.lang-switch")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome to the online service hall" in page.locator("h1").inner_text()
    web.axe(page, "hall welcome (English)")
    web.shot(page, "hall-welcome-en")

    page.click("#login-link")
    page.wait_for_url("**/login**")
    page.fill("#number", ZHANG[0])
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    error = page.locator("[role=alert]")
    assert error.inner_text().strip() == "The ID number or password is wrong."
    assert "{" not in page.content().split("<body", 1)[1][:2000].replace("{{", "")  # no JSON on the page
    web.axe(page, "idp login with error (English)")
    web.shot(page, "login-wrong-password-en", docs=True)

    page.fill("#password", ZHANG[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/select" in page.url:
        page.click("button[type=submit]")
    page.wait_for_url("**/hall/licenses")
    assert page.locator("h1").inner_text() == "My licenses"
    assert "Marriage certificate" in page.locator("#license-cards").inner_text()
    web.axe(page, "hall licenses (English)")
    web.shot(page, "hall-licenses-en", docs=True)

    # Back to Chinese, and a broken link reads as a sentence.
    page.click("a.lang-switch")
    assert page.locator("h1").inner_text() == "我的证照"
    page.goto("/hall/licenses/NO-SUCH-LICENSE")
    assert page.locator("#error-message").inner_text() == "没有找到该证照。"
    web.axe(page, "hall error page")


def test_wrong_password_in_chinese(web: Browsing) -> None:
    page = web.page()
    page.goto("/hall/login")
    page.wait_for_url("**/login**")
    page.fill("#number", ZHANG[0])
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().strip() == "证件号码或密码错误"


def test_bad_presentation_code_reads_as_a_sentence(web: Browsing) -> None:
    page = web.page()
    page.goto("/verify")
    page.fill("#token", "this-is-not-a-token")
    page.click("#verify-code")
    assert "亮证码无效" in page.locator("#verify-error").inner_text()
    web.axe(page, "verify page with error")
    web.shot(page, "verify-error")
