"""`onenumber` subcommands contributed by `signing`: pki …, verify FILE.pdf, sign demo OUT.pdf."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from core.cli import cli_session
from core.settings import get_settings
from signing import pki, workers
from signing.crl import REASONS
from signing.errors import SigningError
from signing.seal import LEVELS
from signing.service import sign_demo
from signing.settings import SigningSettings
from signing.verify import verify_pdf_sync


@contextmanager
def _session() -> Iterator[Session]:
    """The shared command-line session (core/cli.py): one transaction, committed when the command succeeds."""
    with cli_session(commit=True) as session:
        yield session


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except SigningError as exc:
            print(f"error ({exc.code}): {exc}", file=sys.stderr)
            return 2

    return run


def _pki(args: argparse.Namespace) -> int:
    settings = get_settings()  # an entry point: the environment's settings, handed down from here
    with _session() as session:
        if args.pki_command == "init":
            ca = pki.ensure_pki(session=session, settings=settings)
            for row in (ca.root, ca.issuing, ca.tsa):
                print(f"{row.kind:8} {row.serial}  {row.subject}  until {row.not_after:%Y-%m-%d}")
        elif args.pki_command == "issue-seal":
            row = pki.issue_seal(session=session, settings=settings, department_name=args.department, department_code=args.code)
            print(f"seal {row.serial}  {row.subject}  until {row.not_after:%Y-%m-%d}")
        elif args.pki_command == "revoke":
            row = pki.revoke(session=session, settings=settings, serial=args.serial, reason=args.reason)
            print(f"revoked {row.serial} ({row.revocation_reason}) at {row.revoked_at}; CRL republished")
        elif args.pki_command == "export-root":
            sys.stdout.write(pki.root_pem(session=session, settings=settings))
    return 0


def _verify(args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    settings = get_settings()
    workers.configure_shared_pool(SigningSettings())  # ONENUMBER_VERIFY_*
    try:
        with _session() as session:
            report = verify_pdf_sync(session=session, settings=settings, pdf=data)  # parsed in a worker process, time-boxed
    finally:
        workers.shutdown_shared_pool(wait=True)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(("有效 VALID" if report.valid else "无效 INVALID") + f"  sha256={report.sha256}")
        for sig in report.signatures:
            state = "ok" if sig.valid else "FAILED"
            print(
                f"  [{sig.field}] {sig.kind} {state}: {sig.signer or '?'} ({sig.department_code or '-'}), "
                f"timestamp {sig.timestamp or 'none'}, modifications {sig.modification_level or '-'}"
            )
        for zh, en in zip(report.reasons_zh, report.reasons_en, strict=True):
            print(f"  - {zh} / {en}")
    return 0 if report.valid else 1


def _sign_demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    with _session() as session:
        pdf = asyncio.run(
            sign_demo(session=session, settings=settings, level=args.level, approver_name=None if args.no_approver else "王五")
        )
    Path(args.out).write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf)} bytes, {args.level}); check it with: onenumber verify {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this package's subcommands to the `onenumber` CLI."""
    pki = subparsers.add_parser("pki", help="platform PKI: root CA, seals, revocation")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True)
    pki_sub.add_parser("init", help="create the root CA, issuing CA and TSA certificate (idempotent)")
    issue = pki_sub.add_parser("issue-seal", help="issue a department seal certificate")
    issue.add_argument("department", help="department name, e.g. 示例市行政审批局")
    issue.add_argument("--code", required=True, help="the department's unified social credit code")
    revoke = pki_sub.add_parser("revoke", help="revoke a certificate by serial (hex) and republish the CRL")
    revoke.add_argument("serial")
    revoke.add_argument("--reason", default="unspecified", choices=sorted(REASONS))
    pki_sub.add_parser("export-root", help="print the root certificate (PEM) on stdout")
    pki.set_defaults(func=_guard(_pki))

    verify = subparsers.add_parser("verify", help="verify a sealed PDF (exit 0 only when valid)")
    verify.add_argument("file")
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.set_defaults(func=_guard(_verify))

    sign = subparsers.add_parser("sign", help="sealing helpers")
    sign_sub = sign.add_subparsers(dest="sign_command", required=True)
    demo = sign_sub.add_parser("demo", help="render and seal a sample approval with the demo seal")
    demo.add_argument("out")
    demo.add_argument("--level", default="B-T", choices=LEVELS)
    demo.add_argument("--no-approver", action="store_true")
    sign.set_defaults(func=_guard(_sign_demo))
