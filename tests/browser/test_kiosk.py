"""The kiosk shows a login QR (device flow); a second context, logged in as 李四, confirms it on the idp's
device page; the kiosk shows 李四's licenses for printing, and logging out returns it to the idle screen."""

from __future__ import annotations

from tests.browser.browser_helpers import LI, Browsing, login


def test_scan_to_log_in(web: Browsing) -> None:
    kiosk = web.page()
    kiosk.goto("/kiosk")
    web.axe(kiosk, "kiosk welcome")
    kiosk.click("#kiosk-start")
    kiosk.wait_for_selector("#kiosk-qr svg")
    user_code = kiosk.locator("#user-code").inner_text().strip()
    assert len(user_code) == 9 and user_code[4] == "-"
    web.axe(kiosk, "kiosk QR")
    web.shot(kiosk, "kiosk-qr", docs=True)

    # The QR encodes verification_uri_complete; the phone opens it and logs in first.
    phone = web.page(web.context(viewport={"width": 390, "height": 800}, is_mobile=True))
    login(phone, LI, start=f"/device?user_code={user_code}")
    phone.wait_for_url("**/device?**")
    assert user_code in phone.locator("main").inner_text()
    web.axe(phone, "idp device confirmation")
    phone.click("button[value=allow]")
    phone.wait_for_load_state()

    kiosk.wait_for_url("**/kiosk/licenses", timeout=30000)
    assert "李四" in kiosk.locator("#kiosk-who").inner_text()
    cards = kiosk.locator("#license-cards").inner_text()
    assert "结婚证" in cards and "出生医学证明" in cards
    pdf = kiosk.request.get(kiosk.locator("#license-cards a.button").first.get_attribute("href"))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    web.axe(kiosk, "kiosk licenses")
    web.shot(kiosk, "kiosk-licenses", docs=True)

    kiosk.click("#kiosk-logout-button")
    kiosk.wait_for_url("**/kiosk?bye=1")
    kiosk.goto("/kiosk/licenses")
    assert kiosk.url.endswith("/kiosk")  # the session is gone


def test_kiosk_logs_out_after_inactivity(web: Browsing) -> None:
    kiosk = web.page()
    kiosk.goto("/kiosk")
    kiosk.click("#kiosk-start")
    user_code = kiosk.locator("#user-code").inner_text().strip()
    phone = web.page(web.context(viewport={"width": 390, "height": 800}, is_mobile=True))
    login(phone, LI, start=f"/device?user_code={user_code}")
    phone.wait_for_url("**/device?**")
    phone.click("button[value=allow]")
    kiosk.wait_for_url("**/kiosk/licenses", timeout=30000)

    kiosk.goto("/kiosk/licenses?idle=3")  # the page's timer can only be shortened, never lengthened
    assert kiosk.locator("#idle-note").get_attribute("data-idle") == "3"
    web.axe(kiosk, "kiosk licenses, short idle")
    kiosk.wait_for_url("**/kiosk?bye=1", timeout=15000)  # nobody touches it: logged out by itself
    web.shot(kiosk, "kiosk-idle-logout")
    kiosk.goto("/kiosk/licenses")
    assert kiosk.url.endswith("/kiosk")  # the session is gone on the server too
