"""A supplement asked once and answered with exactly what it lists, and a counter appointment booked,
shown on the application and cancelled. An elderly resident applies for the preferential card with a
photo; the civil-affairs clerk asks for a new photo; the application page lists it, takes the upload and
goes back to review. Then 王五 marks an item as needing a counter visit, and 张三 books and cancels."""

from __future__ import annotations

from pathlib import Path

from tests.browser.browser_helpers import WANG, ZHANG, Browsing, login
from tests.browser.test_apply_and_seal import resident_id

CIVIL_AFFAIRS = "111100000001370319"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_supplement_once(web: Browsing, tmp_path: Path) -> None:
    elder = (resident_id("11010119500101003"), "Laoren-2026", "钱七")
    clerk_who = (resident_id("11010119880808123"), "Sunba-2026", "孙八")
    # real-name verified (a self-asserted account cannot apply: applying reuses the wallet, closed at "low")
    web.server.cli("persons", "add", elder[0], elder[2], "--password", elder[1], "--assurance", "substantial")
    web.server.cli("persons", "add", clerk_who[0], clerk_who[2], "--password", clerk_who[1], "--assurance", "substantial",
                   "--roles", f"clerk:{CIVIL_AFFAIRS}")
    first, second = tmp_path / "photo.png", tmp_path / "photo-white.png"
    first.write_bytes(PNG)
    second.write_bytes(PNG + b"white")

    citizen = web.page()
    login(citizen, elder)
    citizen.wait_for_url("**/hall/licenses")
    citizen.goto("/hall/apply/MZ-GG-0001")
    citizen.set_input_files("#doc-photo", str(first))
    if citizen.locator("#holder_number").count():
        citizen.fill("#holder_number", elder[0])
    citizen.click("#submit-application")
    citizen.wait_for_url("**/hall/applications/**")
    serial = citizen.locator("#serial").inner_text().strip()

    clerk = web.page(web.context())
    login(clerk, clerk_who, start="/console")
    clerk.wait_for_url("**/console")
    clerk.goto(f"/console/applications/{serial}")
    clerk.check("#decision-supplement")
    clerk.check("#sup-key-photo")
    clerk.fill("#reasons", "照片背景须为白色")
    web.axe(clerk, "console supplement request")
    clerk.click("#submit-review")
    clerk.wait_for_load_state()
    assert "待补正" in clerk.locator("#app-status").inner_text()

    citizen.goto(f"/hall/applications/{serial}")
    listed = citizen.locator("#supplement-list").inner_text()
    assert "近期一寸免冠彩色照片" in listed and "照片背景须为白色" in listed
    assert citizen.locator("#supplement-form section.req").count() == 1  # only what was asked
    web.axe(citizen, "hall supplement request")
    web.shot(citizen, "hall-supplement-request", docs=True)
    citizen.click("#submit-supplement")  # nothing attached: told, nothing changes
    assert "缺少" in citizen.locator("#page-error").inner_text()
    citizen.set_input_files("#sup-doc-photo", str(second))
    citizen.click("#submit-supplement")
    citizen.wait_for_url("**?supplemented=1")
    assert "审核中" in citizen.locator("#app-status").inner_text()
    assert "已补正" in citizen.locator("#timeline").inner_text()
    assert citizen.locator("#supplement-form").count() == 0
    web.axe(citizen, "hall supplemented")
    web.shot(citizen, "hall-supplemented")


def test_book_and_cancel_appointment(web: Browsing) -> None:
    admin = web.page()
    login(admin, WANG)
    admin.wait_for_url("**/hall/licenses")
    admin.goto("/admin/items/new")
    admin.fill("#code", "MZ-GG-0099")
    admin.fill("#name", "高龄津贴申领")
    admin.check(f"#dept-{CIVIL_AFFAIRS}")
    admin.fill("#legal_basis", "《示例市高龄津贴发放办法》第五条")
    admin.check("#needs_visit")
    admin.fill(
        "#requirements",
        '[{"key": "allowance_form", "kind": "form", "name": "高龄津贴申请表",'
        ' "fields": [{"name": "name", "label": "姓名", "prefill": "applicant.name"}]}]',
    )
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=item")

    citizen = web.page(web.context())
    login(citizen, ZHANG)
    citizen.wait_for_url("**/hall/licenses")
    citizen.goto("/hall/apply/MZ-GG-0099")
    citizen.click("#submit-application")
    citizen.wait_for_url("**/hall/applications/**")
    assert citizen.locator("#appointment").count() == 1
    citizen.select_option("#centre", "HALL-EAST")
    citizen.click("#show-slots")
    citizen.wait_for_selector("#book-form")
    web.axe(citizen, "hall appointment slots")
    chosen = citizen.locator("#book-form input[name=slot_id]:checked").evaluate("e => e.parentElement.textContent")
    citizen.click("#book")
    citizen.wait_for_url("**?booked=1")
    assert "东城区政务服务中心" in citizen.locator("#booking-centre").inner_text()
    assert chosen.strip().split("–")[0].strip() in citizen.locator("#booking-time").inner_text()
    web.axe(citizen, "hall appointment booked")
    web.shot(citizen, "hall-appointment-booked", docs=True)
    citizen.click("#cancel-booking")
    citizen.wait_for_url("**?cancelled=1")
    assert "预约已取消" in citizen.locator("#notice").inner_text()
    assert citizen.locator("#booking").count() == 0 and citizen.locator("#centre-form").count() == 1
    web.axe(citizen, "hall appointment cancelled")
