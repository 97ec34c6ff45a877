"""The exact ID-number check is installed by the entry points, not by importing a module (issue 13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_importing_the_composition_root_installs_nothing() -> None:
    _run(
        "import onenumber, onenumber.models, onenumber.app, onenumber.cli, onenumber.kernel_hooks\n"
        "from core.worklog import service\n"
        "assert service._confirm is service.plausible_resident_id\n"
    )


def test_install_kernel_hooks_installs_the_exact_check() -> None:
    _run(
        "from core.worklog import service\n"
        "from identifiers import ric\n"
        "from onenumber.kernel_hooks import install_kernel_hooks\n"
        "install_kernel_hooks()\n"
        "install_kernel_hooks()  # idempotent\n"
        "assert service._confirm is ric.is_valid\n"
        "assert not service.contains_id_number('n 990105194912310023')  # unknown province: not an ID\n"
    )


def test_the_cli_installs_it() -> None:
    _run(
        "import contextlib, io\n"
        "from core.worklog import service\n"
        "from identifiers import ric\n"
        "from onenumber import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "assert service._confirm is ric.is_valid\n"
    )


def test_create_app_installs_it(tmp_path: Path) -> None:
    _run(
        "from core.settings import Settings\n"
        "from core.worklog import service\n"
        "from identifiers import ric\n"
        "from onenumber.app import create_app\n"
        f"create_app(Settings(database_url='sqlite:///{tmp_path / 'a.db'}', storage_url='file://{tmp_path / 'b'}',"
        " secret_key='test-master-key-0123456789abcdef0123456789'))\n"
        "assert service._confirm is ric.is_valid\n"
    )
