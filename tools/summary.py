"""Print the totals of the JUnit reports of `make test` (and the hardening counters, when present)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# The fuzzers of tests/hardening each write their own line of fuzz.summary.txt (fuzz_report.record): the
# schemathesis run per operation, the stateful run over linked operations and the HTML form fuzzer. A line
# that is missing means that fuzzer did not get to the end.
FUZZ_LINES = ("fuzzing:", "fuzzing (stateful):", "fuzzing (forms):")


def main(paths: list[str]) -> int:
    """Print one line per report and the total."""
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in paths:
        if not Path(path).exists():
            print(f"{path}: missing")
            continue
        root = ET.parse(path).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        if suite is None:
            continue
        counts = {k: int(suite.get(k, 0)) for k in total}
        for k in total:
            total[k] += counts[k]
        print(f"{path}: {counts['tests']} tests, {counts['failures']} failures, {counts['errors']} errors, "
              f"{counts['skipped']} skipped")
    for extra in sorted(Path("test-artifacts").glob("*.summary.txt")):
        lines = extra.read_text(encoding="utf-8").strip().splitlines()
        if extra.name == "fuzz.summary.txt":
            lines += [f"{key} not run" for key in FUZZ_LINES if not any(line.startswith(key) for line in lines)]
        print("\n".join(lines))
    failed = total["failures"] + total["errors"]
    passed = total["tests"] - failed - total["skipped"]
    print(f"{passed} passed, {failed} failed, {total['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
