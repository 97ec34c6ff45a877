"""`onenumber wallet …` subcommands: the catalog (departments, license types), JWKS, offline verification."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from core.cli import cli_session
from core.settings import get_settings
from wallet.catalog import service
from wallet.errors import WalletError

# The key and presentation commands import their modules when they run, not when the parser is built: the
# signing keys and token code would cost every other ``onenumber`` command (and ``--help``) ~140 ms
# (python -X importtime -m onenumber --help).


@contextmanager
def _session() -> Iterator[Session]:
    """The shared command-line session (core/cli.py); each command commits what it keeps."""
    with cli_session() as session:
        yield session


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except WalletError as exc:
            where = f" [{exc.field}]" if exc.field else ""
            print(f"error: {exc.code}{where}: {exc}", file=sys.stderr)
            return 1

    return run


def _departments(args: argparse.Namespace) -> int:
    with _session() as session:
        if args.departments_command == "add":
            dept = service.create_department(
                session=session,
                credit_code=args.credit_code,
                name=args.name,
                seal_purpose=args.seal_purpose,
                actor="system:cli",
            )
            session.commit()
            print(f"added {dept.credit_code} {dept.name}")
            return 0
        for d in service.list_departments(session=session):
            print(f"{d.credit_code}  {d.name}  ({d.seal_purpose})")
    return 0


def _types(args: argparse.Namespace) -> int:
    with _session() as session:
        if args.types_command == "add":
            schema = json.loads(Path(args.schema).read_text(encoding="utf-8"))
            validity = {"years": args.validity_years} if args.validity_years else None
            row = service.create_type(
                session=session,
                type_code=args.type_code,
                name=args.name,
                name_en=args.name_en,
                issuer_code=args.issuer,
                holder_kind=args.holder_kind,
                field_schema=schema,
                reuse_class=args.reuse_class,
                validity=validity,
                description=args.description,
                actor="system:cli",
            )
            session.commit()
            print(f"added {row.type_code} {row.name}")
            return 0
        for t in service.list_types(session=session, issuer_code=args.issuer):
            shown = t.validity or "no expiry"
            print(
                f"{t.type_code}  {t.name} ({t.name_en})  issuer {t.issuer.credit_code}  "
                f"holder {t.holder_kind} "
                f"[{t.holder_code_type}]  reuse {t.reuse_class}  validity {shown}"
            )
    return 0


def _jwks(args: argparse.Namespace) -> int:
    from wallet.licenses import keys  # lazily: ~140 ms, see the top of this module

    with _session() as session:
        print(json.dumps(keys.jwks(session=session, settings=get_settings()), indent=2))
        session.commit()
    return 0


def _verify_offline(args: argparse.Namespace) -> int:
    from wallet.licenses import presentation  # lazily: ~140 ms, see the top of this module

    jwks = json.loads(Path(args.jwks).read_text(encoding="utf-8"))
    token = args.token
    if "t=" in token:  # a scanned verify link
        token = token.split("t=", 1)[1].split("&", 1)[0]
    result = presentation.verify_offline(token, jwks)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(
        f"signature valid (offline); shown {result['age_seconds']} s ago; "
        f"status when shown: {result['status']}"
    )
    print(f"{result['license_type']['name']} · {result['issuer']['name']} · {result['license']}")
    print(f"holder: {result['holder']['name']} {result['holder']['number']}")
    for name, value in result["fields"].items():
        print(f"  {name}: {value}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this package's subcommands to the `onenumber` CLI."""
    wallet = subparsers.add_parser("wallet", help="e-license wallet: catalog, keys, offline verification")
    sub = wallet.add_subparsers(dest="wallet_command", required=True)

    depts = sub.add_parser("departments", help="issuing departments")
    dsub = depts.add_subparsers(dest="departments_command", required=True)
    dsub.add_parser("list", help="list departments")
    dadd = dsub.add_parser("add", help="add a department")
    dadd.add_argument("--credit-code", required=True)
    dadd.add_argument("--name", required=True)
    dadd.add_argument("--seal-purpose", default="行政审批专用章")
    depts.set_defaults(func=_guard(_departments))

    types = sub.add_parser("types", help="the license catalog")
    tsub = types.add_subparsers(dest="types_command", required=True)
    tlist = tsub.add_parser("list", help="list license types")
    tlist.add_argument("--issuer", help="only types of this department (credit code)")
    tadd = tsub.add_parser("add", help="add a license type")
    tadd.add_argument("--type-code", required=True)
    tadd.add_argument("--name", required=True)
    tadd.add_argument("--name-en", default="")
    tadd.add_argument("--issuer", required=True, help="credit code of the issuing department")
    tadd.add_argument("--holder-kind", required=True, choices=["person", "organization"])
    tadd.add_argument("--schema", required=True, help="JSON file with the field schema")
    tadd.add_argument(
        "--reuse-class", required=True, choices=["always", "while_valid", "selectable", "never"]
    )
    tadd.add_argument("--validity-years", type=int, default=0)
    tadd.add_argument("--description", default="")
    types.set_defaults(func=_guard(_types))

    sub.add_parser("jwks", help="print the wallet's public keys (JWKS) for offline verifiers").set_defaults(
        func=_guard(_jwks)
    )

    off = sub.add_parser("verify-offline", help="check a presentation token with a JWKS file, no network")
    off.add_argument("token", help="the token, or the verify link a QR code holds")
    off.add_argument("--jwks", required=True, help="JWKS file (from GET /api/wallet/keys)")
    off.add_argument("--json", action="store_true", help="print the verified claims as JSON")
    off.set_defaults(func=_guard(_verify_offline))
