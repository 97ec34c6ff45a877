"""张三 logs in to the hall, sees his licenses, opens a presentation QR; the public verify page, in a second
browser context, reads it."""

from __future__ import annotations

from tests.browser.browser_helpers import ZHANG, Browsing, login


def test_show_a_license_and_verify_it(web: Browsing) -> None:
    page = web.page()
    page.goto("/hall")
    web.axe(page, "hall welcome")
    page.click("#login-link")
    page.wait_for_url("**/login**")
    web.axe(page, "idp login")
    login(page, ZHANG, start=page.url)
    page.wait_for_url("**/hall/licenses")
    assert page.locator("#who-name").inner_text() == "张三"
    cards = page.locator("#license-cards .card")
    assert cards.count() >= 1
    assert "结婚证" in page.locator("#license-cards").inner_text()
    web.axe(page, "hall licenses")
    web.shot(page, "hall-licenses", docs=True)

    page.click("#license-cards a:has-text('结婚证')")
    page.wait_for_url("**/hall/licenses/**")
    assert "李四" in page.locator("dl.fields").inner_text()  # the spouse, a field of 张三's certificate
    web.axe(page, "hall license detail")
    page.check("input[name=fields][value=spouse_name]")
    page.click("#show-qr")
    page.wait_for_selector("#present-qr svg")
    web.axe(page, "hall present QR")
    web.shot(page, "hall-present-qr", docs=True)
    link = page.locator("#verify-link").get_attribute("href")
    assert link and "/verify?t=" in link

    verifier = web.page(web.context())
    verifier.goto(link)
    verdict = verifier.locator("#verdict")
    assert "核验通过" in verdict.inner_text()
    assert "结婚证" in verdict.inner_text() and "李四" in verdict.inner_text()
    assert "张*" in verdict.inner_text() or "*" in verdict.inner_text()  # holder masked for strangers
    web.axe(verifier, "verify presentation")
    web.shot(verifier, "verify-presentation", docs=True)

    # The holder sees the check in the access log.
    page.goto("/hall/grants")
    assert "核验" in page.locator("#access-log").inner_text()
    web.axe(page, "hall grants and access log")
    web.shot(page, "hall-grants")
