"""Identifier validations per second, one row per kind.

    .venv/bin/python bench/identifiers_bench.py [--seconds 1.0]

Prints a Markdown table (best of three runs per row) for docs/BENCHMARKS.md "## Identifiers".
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from itertools import cycle

from identifiers import license_id, orgcode, ric, uscc

RESIDENT_IDS = ["11010519491231002X", "110102199101010078", "440882198503293017", "11010519491231002x"]
FIRST_GENERATION = ["110105491231002", "440882850329301"]
CREDIT_CODES = ["91110000600037341L", "11110000000137015K", "111100000001370319", "91350100M000100Y43"]
ORG_CODES = ["60003734-1", "000137015", "M000100Y4"]
LICENSE_IDS = [license_id.make("A001", "11110000000137015K", f"2026{n:06d}", 1) for n in range(1, 5)]
INVALID = ["110105194912310021", "91110000600I37341L", "1.2.156.3005.2.A001.X.1.1.Z", "12345"]


def _rate(label: str, func: Callable[[str], object], values: list[str], seconds: float) -> tuple[str, float]:
    """Best-of-three calls per second of ``func`` cycling through ``values``."""
    best = 0.0
    for _ in range(3):
        items = cycle(values)
        count, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(1000):
                func(next(items))
            count += 1000
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return label, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per row (default 1.0)")
    args = parser.parse_args(argv)
    rows = [
        _rate("resident ID `ric.validate`", ric.validate, RESIDENT_IDS, args.seconds),
        _rate("resident ID `ric.parse`", ric.parse, RESIDENT_IDS, args.seconds),
        _rate("15-digit `ric.upgrade_15`", ric.upgrade_15, FIRST_GENERATION, args.seconds),
        _rate("credit code `uscc.validate`", uscc.validate, CREDIT_CODES, args.seconds),
        _rate("credit code `uscc.parse`", uscc.parse, CREDIT_CODES, args.seconds),
        _rate("organisation code `orgcode.validate`", orgcode.validate, ORG_CODES, args.seconds),
        _rate("license id `license_id.validate`", license_id.validate, LICENSE_IDS, args.seconds),
        _rate(
            "invalid values, mixed `is_valid` (exception path)",
            lambda v: ric.is_valid(v) or uscc.is_valid(v) or license_id.is_valid(v),
            INVALID,
            args.seconds,
        ),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.seconds:.1f} s per row\n")
    print("| operation | validations / s |")
    print("|---|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
