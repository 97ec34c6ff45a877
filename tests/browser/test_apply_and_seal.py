"""张三, acting for 示例科技有限公司, applies to open a restaurant: the business license and the food permit
are taken from the wallet (reused, trust A), only the form is asked for. The market regulator's approver
and then 王五 (示例市行政审批局) decide at the counter console; 王五's approval concludes and seals the
result; 张三 downloads the sealed PDF and rates the service; the public verify page accepts the PDF."""

from __future__ import annotations

from pathlib import Path

from tests.browser.browser_helpers import WANG, ZHANG, Browsing, login

MARKET = "11110000000137023E"
APPROVAL = "11110000000137015K"
ORG_NAME = "示例科技有限公司"


def resident_id(body17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def test_apply_review_seal_download_verify(web: Browsing, tmp_path: Path) -> None:
    # A reviewer of the market regulator, registered with the real idp CLI.
    zhao = (resident_id("11010119900307123"), "Zhaoliu-2026", "赵六")
    web.server.cli(
        "persons",
        "add",
        zhao[0],
        zhao[2],
        "--password",
        zhao[1],
        "--roles",
        f"clerk:{MARKET} approver:{MARKET}",
    )

    citizen = web.page()
    login(citizen, ZHANG, act_for=ORG_NAME)
    citizen.wait_for_url("**/hall/licenses")
    assert ORG_NAME in citizen.locator("#who-org").inner_text()
    citizen.click("nav >> text=办事服务")
    web.axe(citizen, "hall services")
    citizen.click("#items-business a:has-text('餐饮店开业登记')")
    web.axe(citizen, "hall guide")
    citizen.click("#apply-link")
    citizen.wait_for_url("**/hall/apply/**")
    assert "已从电子证照库调取" in citizen.locator("#req-business_license").inner_text()
    assert "已从电子证照库调取" in citizen.locator("#req-food_permit").inner_text()
    summary = citizen.locator("#missing-summary").inner_text()
    assert "餐饮店开业申请表" in summary and "营业执照" not in summary
    citizen.fill("#f-opening_form-address", "示例市示例区科技路1号一层")
    citizen.fill("#f-opening_form-seats", "40")
    citizen.fill("#f-opening_form-opening_date", "2026-06-01")
    web.axe(citizen, "hall apply")
    web.shot(citizen, "hall-apply", docs=True)
    citizen.click("#submit-application")
    citizen.wait_for_url("**/hall/applications/**")
    serial = citizen.locator("#serial").inner_text().strip()
    assert "审核中" in citizen.locator("#app-status").inner_text()
    web.axe(citizen, "hall application")

    reviewer = web.page(web.context())
    login(reviewer, zhao, start="/console")
    reviewer.wait_for_url("**/console")
    reviewer.click(f"a[href='/console/queue/{MARKET}']")
    web.axe(reviewer, "console queue")
    web.shot(reviewer, "console-queue", docs=True)
    reviewer.click(f"a:has-text('{serial}')")
    reviewer.check("#decision-approve")
    reviewer.click("#submit-review")
    reviewer.wait_for_load_state()
    assert "审批通过" in reviewer.locator("#timeline").inner_text()

    clerk = web.page(web.context())
    login(clerk, WANG, start="/console")
    clerk.wait_for_url("**/console")
    web.axe(clerk, "console home")
    clerk.click(f"a[href='/console/queue/{APPROVAL}']")
    clerk.click(f"a:has-text('{serial}')")
    web.axe(clerk, "console review")
    clerk.check("#decision-approve")
    clerk.click("#submit-review")
    clerk.wait_for_selector("#result-link")
    assert "准予" in clerk.locator("#app-status").inner_text()
    pdf = clerk.request.get(clerk.locator("#result-link").get_attribute("href"))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    web.axe(clerk, "console sealed result")
    web.shot(clerk, "console-sealed", docs=True)

    citizen.goto(f"/hall/applications/{serial}")
    with citizen.expect_download() as download_info:
        citizen.click("#download-result")
    path = tmp_path / f"{serial}.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    citizen.check("input[name=score][value='5']")
    citizen.click("#rate")
    assert "5" in citizen.locator("#rating-done").inner_text()
    web.axe(citizen, "hall application concluded")
    web.shot(citizen, "hall-application-done", docs=True)

    verifier = web.page(web.context())
    verifier.goto("/verify")
    verifier.set_input_files("#file", str(path))
    verifier.click("#verify-pdf")
    verdict = verifier.locator("#verdict")
    assert "签章有效" in verdict.inner_text() and serial in verdict.inner_text()
    assert "ok" in (verdict.get_attribute("class") or "").split()
    web.axe(verifier, "verify PDF")
    web.shot(verifier, "verify-pdf", docs=True)
