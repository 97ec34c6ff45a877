"""张三 switches from himself to the company he represents: the hall re-authorizes at the idp with the
choice, and the company's licenses appear."""

from __future__ import annotations

from tests.browser.browser_helpers import ZHANG, Browsing, login, org_value


def test_switch_to_the_organisation_and_back(web: Browsing) -> None:
    page = web.page()
    login(page, ZHANG)
    page.wait_for_url("**/hall/licenses")
    assert page.locator("#who-org").count() == 0
    assert "营业执照" not in page.locator("#license-cards").inner_text()

    page.click("text=切换办事身份")
    page.wait_for_url("**/login/select**")
    web.axe(page, "idp identity choice")
    page.check(f"input[name=delegation][value='{org_value(page, '示例科技有限公司')}']")
    page.click("button[type=submit]")
    page.wait_for_url("**/hall/licenses")
    assert "示例科技有限公司" in page.locator("#who-org").inner_text()
    cards = page.locator("#license-cards").inner_text()
    assert "营业执照" in cards and "结婚证" in cards  # the company's and his own
    web.shot(page, "hall-acting-for-organisation")

    page.click("text=切换办事身份")
    page.wait_for_url("**/login/select**")
    page.check("input[name=delegation][value='']")
    page.click("button[type=submit]")
    page.wait_for_url("**/hall/licenses")
    assert page.locator("#who-org").count() == 0
