"""用证用途目录: the purposes a holder can grant the use of a license for (use grants, ``grants.create``).

A grant names a purpose by its code; the grant stores and shows the purpose's Chinese name, so grants
made before the catalog (free text) stay readable as they are. Each purpose carries its legal basis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    """One purpose: its code, names and the rule that lets a department use a license for it."""

    code: str
    zh: str
    en: str
    legal_basis: str


CATALOG: tuple[Purpose, ...] = (
    Purpose(
        "enterprise_registration",
        "办理企业开办登记",
        "Company start-up registration",
        "《中华人民共和国市场主体登记管理条例》",
    ),
    Purpose(
        "social_security",
        "办理社会保障业务",
        "Social security services",
        "《中华人民共和国社会保险法》",
    ),
    Purpose(
        "exit_entry_documents",
        "办理出入境证件",
        "Passports and exit-entry permits",
        "《中华人民共和国出境入境管理法》《中华人民共和国护照法》",
    ),
    Purpose(
        "household_registration",
        "办理户籍业务",
        "Household registration (hukou)",
        "《中华人民共和国户口登记条例》",
    ),
    Purpose(
        "school_enrolment",
        "办理入学登记",
        "School enrolment",
        "《中华人民共和国义务教育法》",
    ),
    Purpose(
        "real_estate_registration",
        "办理不动产登记",
        "Real estate registration",
        "《不动产登记暂行条例》",
    ),
    Purpose(
        "housing_fund",
        "办理住房公积金业务",
        "Housing provident fund",
        "《住房公积金管理条例》",
    ),
)
_BY_CODE = {p.code: p for p in CATALOG}


def get(code: str) -> Purpose | None:
    """The purpose with this code, or None."""
    return _BY_CODE.get(code)


def list_all() -> tuple[Purpose, ...]:
    """Every purpose, in the catalog's order."""
    return CATALOG
