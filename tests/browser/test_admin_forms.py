"""王五, an administrator, edits the catalog from the admin pages: a department (a wrong credit code is told
in words, then a valid one is saved and renamed), a license type with its JSON schema (broken JSON is told
with its line), and a service item whose vague "其他材料" requirement the catalog rejects with a sentence
naming it; the corrected item is saved, edited and published in the hall's catalog."""

from __future__ import annotations

import json

from identifiers import uscc
from tests.browser.browser_helpers import WANG, Browsing, login

CIVIL_AFFAIRS = "111100000001370319"


def credit_code(body16: str) -> str:
    """A unified social credit code: the organisation code's (GB 11714) and the code's (GB 32100) checks."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return next(body16 + a + b for a in "0123456789X" for b in chars if uscc.is_valid(body16 + a + b))


def test_admin_creates_and_edits_catalog(web: Browsing) -> None:
    admin = web.page()
    login(admin, WANG)
    admin.wait_for_url("**/hall/licenses")
    admin.goto("/admin")
    web.axe(admin, "admin overview")

    # A department: an invalid credit code is refused in words, nothing is saved.
    admin.click("#new-department")
    admin.fill("#credit_code", "11110000000000000X")
    admin.fill("#name", "示例市数据资源局")
    admin.click("#save")
    assert "统一社会信用代码无效" in admin.locator("#admin-error").inner_text()
    web.axe(admin, "admin department error")
    code = credit_code("1111000000099901")
    admin.fill("#credit_code", code)
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=department")
    admin.click(f"a[href='/admin/departments/{code}']")
    admin.fill("#name", "示例市大数据中心")
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=department")
    assert "示例市大数据中心" in admin.locator("#departments").inner_text()

    # A license type: broken JSON is told with its line; a good schema is saved, then edited.
    admin.click("#new-type")
    admin.fill("#type_code", "TESTDATA01")
    admin.fill("#name", "数据资源登记证书")
    admin.select_option("#issuer_code", code)
    admin.select_option("#holder_kind", "organization")
    admin.fill("#field_schema", '{"type": "object",\n "properties": {')
    admin.click("#save")
    error = admin.locator("#admin-error").inner_text()
    assert "JSON" in error and "第 2 行" in error
    web.axe(admin, "admin license type error")
    schema = {"type": "object", "properties": {"dataset": {"type": "string"}}, "required": ["dataset"]}
    admin.fill("#field_schema", json.dumps(schema, ensure_ascii=False))
    admin.fill("#years", "3")
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=type")
    admin.click("a[href='/admin/types/TESTDATA01']")
    assert admin.locator("#type_code").get_attribute("readonly") is not None
    admin.fill("#name_en", "Data resource registration")
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=type")
    assert "TESTDATA01" in admin.locator("#license-types").inner_text()

    # A service item: the catalog rejects "其他材料" and the page says which requirement and why.
    admin.click("#new-item")
    admin.fill("#code", "SJ-GG-0001")
    admin.fill("#name", "数据资源登记")
    admin.check("#category-business")
    admin.check(f"#dept-{code}")
    admin.fill("#legal_basis", "《示例市公共数据管理办法》第十二条")
    vague = [
        {"key": "dataset_form", "kind": "form", "name": "登记申请表",
         "fields": [{"name": "dataset", "label": "数据资源名称"}]},
        {"key": "other", "kind": "document", "name": "其他材料", "doc_type": "misc.other",
         "reuse": "never", "accepted_types": ["application/pdf"]},
    ]  # fmt: skip
    admin.fill("#requirements", json.dumps(vague, ensure_ascii=False))
    admin.click("#save")
    error = admin.locator("#admin-error").inner_text()
    assert "“其他材料”不是具体的材料" in error and "{" not in error
    assert "其他材料" in admin.locator("#requirements").input_value()  # what was typed is kept
    web.axe(admin, "admin item rejected")
    web.shot(admin, "admin-item-vague-rejected")
    admin.fill("#requirements", json.dumps(vague[:1], ensure_ascii=False))
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=item")
    admin.click("a[href='/admin/items/SJ-GG-0001']")
    assert "dataset_form" in admin.locator("#requirements").input_value()
    admin.fill("#time_limit_days", "3")
    admin.click("#save")
    admin.wait_for_url("**/admin?saved=item")
    assert "3 个工作日" in admin.locator("#service-items").inner_text() or "3" in admin.locator("#service-items").inner_text()
    web.axe(admin, "admin overview saved")
    web.shot(admin, "admin-overview", docs=True)

    admin.goto("/hall/services/SJ-GG-0001")
    assert "登记申请表" in admin.locator("main").inner_text()
