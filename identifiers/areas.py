"""Area codes (GB/T 2260): only the province level is checked.

A full county table changes every year and would wrongly reject numbers issued under old codes, so the
check is: six ASCII digits whose first two are a real province-level code. Credit codes registered by a
national authority carry ``100000`` (the whole country), which resident ID numbers never do.

>>> validate_area('110105')
'110105'
>>> province_name('440882')
('广东省', 'Guangdong')
>>> validate_area('990000')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidComponent: area code does not start with ... (rule: area)
"""

from __future__ import annotations

from identifiers.exceptions import InvalidComponent

__all__ = ["NATIONAL", "PROVINCES", "province_name", "validate_area"]

NATIONAL = "100000"

PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}


def validate_area(code: str, *, national: bool = False) -> str:
    """Return the six-digit area code if its province is real; ``national`` also allows ``100000``."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise InvalidComponent("area code is not six digits", rule="area")
    if code[:2] not in PROVINCES and not (national and code == NATIONAL):
        raise InvalidComponent("area code does not start with a GB/T 2260 province code", rule="area")
    return code


def province_name(code: str) -> tuple[str, str]:
    """Chinese and English name of the province (or the whole country) of an area code."""
    if code == NATIONAL:
        return ("全国", "national")
    return PROVINCES[code[:2]]
