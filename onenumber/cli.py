"""The ``onenumber`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import uvicorn

from core.cli import cli_session
from core.settings import get_settings
from core.worklog import verify
from identifiers.cli import register as register_identifiers
from idp.cli import register as register_idp
from onenumber.kernel_hooks import install_kernel_hooks
from signing.cli import register as register_signing
from storage.cli import register as register_storage
from wallet.cli import register as register_wallet

# The sub-commands import their heavy modules when they run, not when the parser is built: each would
# cost every other command (and ``--help``) the time given beside it (python -X importtime -m onenumber).


def _db(args: argparse.Namespace) -> int:
    from onenumber import migrations  # lazily: Alembic and every model, ~650 ms

    url = get_settings().database_url
    if args.db_command == "upgrade":
        migrations.upgrade(url, args.revision)
    elif args.db_command == "downgrade":
        migrations.downgrade(url, args.revision)
    elif args.db_command == "check":
        diff = migrations.pending_diff(url)
        for item in diff:
            print(item)
        if diff:
            print(f"models and migrations disagree ({len(diff)} differences)", file=sys.stderr)
            return 1
        print("models and migrations agree")
    return 0


def _worklog(args: argparse.Namespace) -> int:
    with cli_session() as session:
        result = verify(session=session)
    if result.ok:
        print(f"work log intact: {result.checked} entries verified")
        return 0
    print(f"work log BROKEN at entry {result.broken_at}: {result.reason} ({result.checked} entries good before it)")
    return 1


def _seed(args: argparse.Namespace) -> int:
    from onenumber import seed  # lazily: every package's seeder, ~150 ms
    from storage.deps import open_blob_store  # lazily: FastAPI and the blob stores, ~140 ms

    settings = get_settings()
    with cli_session(settings) as session:
        lines = seed.run(session=session, settings=settings, blob_store=open_blob_store(settings))
    for line in lines:
        print(line)
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    # X-Forwarded-For / -Proto are believed only from the configured balancers: behind a TLS-terminating
    # balancer the platform then sees https (OAuth refuses plain http in production) and the real client
    # address (per-address limits); with nothing configured no proxy header is believed.
    trusted = (args.forwarded_allow_ips or settings.forwarded_allow_ips).strip()
    tls = bool(args.ssl_certfile and args.ssl_keyfile)
    if not settings.is_development and not trusted and not tls:
        print("error: production needs ONENUMBER_FORWARDED_ALLOW_IPS (the balancer's addresses) or "
              "--ssl-certfile/--ssl-keyfile", file=sys.stderr)
        return 2
    from core.logs import log_config  # lazily: only the server needs them
    from core.metrics import prepare_worker_directory  # lazily: FastAPI and prometheus-client, ~150 ms

    prepare_worker_directory(args.workers)  # several workers: one /metrics sums them all (core/metrics.py)
    uvicorn.run(
        "onenumber.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
        log_level="info", log_config=log_config(json_lines=settings.log_json),
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
        ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile, timeout_graceful_shutdown=20,
    )
    return 0


def _rotate_master(args: argparse.Namespace) -> int:
    from onenumber.rekey import RekeyError, rotate_master  # lazily: every package's models, ~680 ms

    new_key = os.environ.get(args.new_key_env, "")
    if not new_key:
        print(f"error: environment variable {args.new_key_env} is not set or empty", file=sys.stderr)
        return 2
    settings = get_settings()
    try:
        with cli_session(settings) as session:
            report = rotate_master(session=session, settings=settings, new_key=new_key, dry_run=args.dry_run)
    except RekeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verb = "would re-key" if report.dry_run else "re-keyed"
    print(f"master key {report.old_key_id} -> {report.new_key_id}: {verb}")
    for name, count in sorted(report.counts.items()):
        print(f"  {name:<45} {count}")
    for client_id, secret in sorted(report.client_secrets.items()):
        print(f"new client secret for {client_id} (its old one was bound to the old key; shown once): {secret}")
    if not report.dry_run:
        print(f"now set ONENUMBER_SECRET_KEY to the value of {args.new_key_env} and restart every process")
    return 0


def _keys_commands(ksub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rm = ksub.add_parser(
        "rotate-master", help="re-encrypt every encrypted column and blind index under a new master key"
    )
    rm.add_argument("--new-key-env", required=True, metavar="NAME",
                    help="environment variable holding the new master key (never pass keys as arguments)")
    rm.add_argument("--dry-run", action="store_true", help="check and count, then roll back")
    rm.set_defaults(func=_rotate_master)


def _purge(args: argparse.Namespace) -> int:
    from onenumber import purge  # lazily: the web channels and idp's tables, ~690 ms

    settings = get_settings()
    with cli_session(settings) as session:
        report = purge.run(session=session, settings=settings)
    for name, count in report.counts.items():
        print(f"  {name:<25} {count}")
    if report.skipped:
        print("another instance is purging right now; it does the rest")
    print(f"purged {report.total} expired rows")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from onenumber import backup  # lazily: Alembic, every model and the blob stores, ~690 ms
    from storage.deps import open_blob_store  # lazily: FastAPI and the blob stores, ~140 ms

    settings = get_settings()
    try:
        manifest = backup.backup(settings=settings, blob_store=open_blob_store(settings), directory=args.directory)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = sum(manifest["tables"].values())
    print(f"backup written to {args.directory}: {rows} rows in {len(manifest['tables'])} tables, "
          f"{len(manifest['blobs'])} blobs, revision {manifest['alembic_revision']}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from onenumber import backup  # lazily: Alembic, every model and the blob stores, ~690 ms
    from storage.deps import open_blob_store  # lazily: FastAPI and the blob stores, ~140 ms

    settings = get_settings()
    try:
        manifest = backup.restore(settings=settings, blob_store=open_blob_store(settings), directory=args.directory)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"restored {sum(manifest['tables'].values())} rows and {len(manifest['blobs'])} blobs "
          f"from {args.directory}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every package's subcommands."""
    parser = argparse.ArgumentParser(prog="onenumber", description="OneNumber platform command line")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    down = db_sub.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision", nargs="?", default="base")
    db_sub.add_parser("check", help="fail if the models and the migrations disagree")
    db.set_defaults(func=_db)

    wl = sub.add_parser("worklog", help="the tamper-evident work log")
    wl_sub = wl.add_subparsers(dest="worklog_command", required=True)
    wl_sub.add_parser("verify", help="report the first broken link, if any")
    wl.set_defaults(func=_worklog)

    sub.add_parser("seed", help="load the demo data (idempotent)").set_defaults(func=_seed)
    sub.add_parser("purge", help="delete expired sessions, codes, tokens and revocations now "
                   "(the server also does this every ONENUMBER_PURGE_INTERVAL seconds)").set_defaults(func=_purge)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--forwarded-allow-ips", default="",
                       help="balancer addresses whose X-Forwarded-* headers are believed (default: "
                            "ONENUMBER_FORWARDED_ALLOW_IPS; empty: none)")
    serve.add_argument("--ssl-certfile", default=None, help="serve TLS directly with this certificate (PEM)")
    serve.add_argument("--ssl-keyfile", default=None, help="the certificate's private key (PEM)")
    serve.set_defaults(func=_serve)

    bk = sub.add_parser("backup", help="database rows, blobs and a manifest of SHA-256s into a new directory")
    bk.add_argument("directory")
    bk.set_defaults(func=_backup)
    rs = sub.add_parser("restore", help="restore a backup into an empty database and blob store")
    rs.add_argument("directory")
    rs.set_defaults(func=_restore)

    register_idp(sub, keys_commands=_keys_commands)
    for register in (register_identifiers, register_signing, register_wallet):
        register(sub)
    register_storage(sub, referenced_keys=_referenced_blob_keys)
    return parser


def _referenced_blob_keys() -> set[str]:
    """Blob keys the database still refers to (for ``onenumber storage gc``)."""
    from wallet.blobs import referenced_blob_keys  # lazily: wallet's applications and FastAPI, ~250 ms

    with cli_session() as session:
        return referenced_blob_keys(session)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``onenumber``."""
    install_kernel_hooks()  # the work log's exact ID-number check (onenumber/kernel_hooks.py)
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
