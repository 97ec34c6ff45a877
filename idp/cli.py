"""`onenumber` subcommands contributed by `idp`: clients, keys, persons, logout-deliveries."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from core.cli import cli_session
from core.settings import Settings, get_settings
from idp.backchannel import STATES, get_backchannel_settings
from idp.backchannel import outbox as logout_outbox
from idp.errors import IdpError, InvalidField
from idp.keys import service as key_service
from idp.oauth import clients as client_service
from idp.oauth import subjects
from idp.parties import service as party_service
from idp.parties.passwords import check_strength, hash_password


@contextmanager
def _session() -> Iterator[tuple[Session, Settings]]:
    """The shared command-line session (core/cli.py), committed when the command succeeds, with its settings."""
    settings = get_settings()
    with cli_session(settings, commit=True) as session:
        yield session, settings


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except IdpError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def _split(value: str | None) -> list[str] | None:
    return [v for v in (value or "").replace(",", " ").split() if v] or None


@_guard
def _clients(args: argparse.Namespace) -> int:
    with _session() as (session, settings):
        if args.clients_command == "add":
            row, secret = client_service.create(
                session=session,
                settings=settings,
                client_id=args.client_id,
                name=args.name or args.client_id,
                kind=args.kind,
                redirect_uris=_split(args.redirect_uris),
                post_logout_redirect_uris=_split(args.post_logout_redirect_uris),
                grant_types=_split(args.grant_types),
                scopes=_split(args.scopes),
                secret=args.secret,
                backchannel_logout_uri=args.backchannel_logout_uri,
                id_token_alg=args.id_token_alg,
                department_code=args.department_code,
                trusted=args.trusted,
                subject_type=args.subject_type,
                sector_identifier_uri=args.sector_identifier_uri,
            )
            if row.sector_identifier_uri:
                _check_sector(row.sector_identifier_uri, row.redirect_uris)
            print(f"client {row.client_id} ({row.kind}) registered")
            if row.subject_type == "pairwise":
                print(f"pairwise subject identifiers for sector {row.sector_identifier}")
            if secret:
                print(f"client secret (shown once): {secret}")
        elif args.clients_command == "list":
            rows: list[dict[str, Any]] = [
                {
                    "client_id": r.client_id,
                    "name": r.name,
                    "kind": r.kind,
                    "grant_types": r.grant_types,
                    "scopes": r.scopes,
                    "redirect_uris": r.redirect_uris,
                    "disabled": r.disabled,
                    "department": r.department_code,
                    "id_token_alg": r.id_token_signed_response_alg,
                    "subject_type": r.subject_type,
                    "sector_identifier": r.sector_identifier,
                }
                for r in client_service.list_all(session=session)
            ]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    state = " DISABLED" if r["disabled"] else ""
                    print(f"{r['client_id']:<20} {r['kind']:<10} {' '.join(r['grant_types'])}{state}")
        elif args.clients_command == "rotate-secret":
            secret = client_service.rotate_secret(session=session, settings=settings, client_id=args.client_id)
            print(f"new client secret for {args.client_id} (shown once): {secret}")
        elif args.clients_command == "disable":
            client_service.disable(session=session, client_id=args.client_id)
            print(f"client {args.client_id} disabled")
    return 0


def _check_sector(uri: str, redirect_uris: list[str]) -> None:
    """OIDC Core §8.1: fetch the sector document and check it lists every redirect URI of the client."""
    try:
        response = httpx.get(uri, timeout=10.0, follow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise InvalidField(f"cannot read the sector_identifier_uri document: {exc}", field="sector_identifier_uri") from exc
    subjects.check_sector_document(document, redirect_uris=redirect_uris)


@_guard
def _keys(args: argparse.Namespace) -> int:
    with _session() as (session, settings):
        if args.keys_command == "rotate":
            for alg in args.alg or list(key_service.ALGORITHMS):
                row = key_service.rotate(session=session, settings=settings, alg=alg)
                print(
                    f"{alg}: new key {row.kid} is in JWKS now and signs from {row.activates_at:%Y-%m-%d %H:%M:%S} "
                    f"UTC ({settings.key_publish_seconds} s); the previous key stays in JWKS until its tokens expire"
                )
        elif args.keys_command == "check":
            rotated = key_service.scheduled_rotation(session=session, settings=settings)
            print("rotated: " + (", ".join(rotated) if rotated else "nothing due"))
        elif args.keys_command == "list":
            for row in key_service.listing(session=session):
                since = f"{row.activates_at:%Y-%m-%d %H:%M:%S}" if row.activates_at else "-"
                until = f"{row.not_after:%Y-%m-%d %H:%M:%S}" if row.not_after else "-"
                print(f"{row.kid}\t{row.alg}\t{row.state}\tsigns from {since}\tin JWKS until {until}")
    return 0


@_guard
def _persons(args: argparse.Namespace) -> int:
    with _session() as (session, settings):
        password = args.password or getpass.getpass("password: ")
        rule = check_strength(password)
        if rule:
            print(f"error: password rejected ({rule})", file=sys.stderr)
            return 2
        person = party_service.create(
            session=session,
            settings=settings,
            number=args.number,
            name=args.name,
            phone=args.phone,
            password_hash=hash_password(password),
            assurance=args.assurance,
        )
        for role in _split(args.roles) or []:
            kind, _, dept = role.partition(":")
            party_service.grant_role(session=session, person=person, role=kind, department_code=dept or None)
        print(f"person {person.name} registered (sub {person.sub})")
    return 0


def _endpoint(uri: str) -> str:
    """Where a delivery goes, without what may be secret in a URL (user info, query, fragment)."""
    parts = urlsplit(uri)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


@_guard
def _logout_deliveries(args: argparse.Namespace) -> int:
    with _session() as (session, _settings):
        if args.deliveries_command == "list":
            rows = [
                {
                    "id": r.id,
                    "client_id": r.client_id,
                    "state": r.state,
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at.isoformat(timespec="seconds"),
                    "last_error": r.last_error,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                    "endpoint": _endpoint(r.uri),
                }
                for r in logout_outbox.list_deliveries(session=session, state=args.state, limit=args.limit)
            ]  # never the claims (sub, sid) nor a token: those are the relying party's
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    print(f"{r['id']:>8} {r['client_id']:<20} {r['state']:<9} {r['attempts']:>3} "
                          f"{r['next_attempt_at']} {r['last_error'] or '-'} {r['endpoint']}")
                print(f"{len(rows)} deliveries")
        elif args.deliveries_command == "retry":
            if (args.id is None) == (not args.all_dead):
                raise IdpError("name one delivery id or --all-dead", field="id")
            count = logout_outbox.retry(
                session=session, give_up_after=get_backchannel_settings().backchannel_give_up_after,
                delivery_id=args.id, all_dead=args.all_dead,
            )
            print(f"requeued {count} logout deliveries")
    return 0


def register(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    *,
    keys_commands: Callable[[argparse._SubParsersAction], None] | None = None,  # type: ignore[type-arg]
) -> None:
    """Add this package's subcommands to the `onenumber` CLI; ``keys_commands`` adds to `onenumber keys`."""
    clients = subparsers.add_parser("clients", help="OAuth / OpenID Connect clients")
    csub = clients.add_subparsers(dest="clients_command", required=True)
    add = csub.add_parser("add", help="register a client")
    add.add_argument("client_id")
    add.add_argument("--kind", choices=["web", "mobile", "kiosk", "department"], required=True)
    add.add_argument("--name")
    add.add_argument("--redirect-uris", help="space or comma separated, matched exactly")
    add.add_argument("--post-logout-redirect-uris")
    add.add_argument("--grant-types")
    add.add_argument("--scopes")
    add.add_argument("--secret", help="default: a random secret, printed once")
    add.add_argument("--backchannel-logout-uri")
    add.add_argument("--id-token-alg", choices=["ES256", "RS256"], default="ES256")
    add.add_argument("--department-code")
    add.add_argument("--trusted", action="store_true", help="first-party: no consent except for id_number")
    add.add_argument(
        "--subject-type",
        choices=["public", "pairwise"],
        help="OIDC Core §8; default: public for --trusted and department systems, else pairwise",
    )
    add.add_argument(
        "--sector-identifier-uri",
        help="https URL of a JSON array of the redirect URIs; its host is the pairwise sector (needed when "
        "the redirect URIs are on several hosts)",
    )
    lst = csub.add_parser("list", help="list clients")
    lst.add_argument("--json", action="store_true")
    csub.add_parser("rotate-secret", help="issue a new secret").add_argument("client_id")
    csub.add_parser("disable", help="disable a client").add_argument("client_id")
    clients.set_defaults(func=_clients)

    keys = subparsers.add_parser("keys", help="token signing keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    rot = ksub.add_parser(
        "rotate",
        help="publish new keys, signing from ONENUMBER_KEY_PUBLISH_SECONDS on; old ones verify until their tokens expire",
    )
    rot.add_argument("--alg", action="append", choices=["ES256", "RS256"])
    ksub.add_parser("check", help="rotate keys older than ONENUMBER_KEY_ROTATION_DAYS")
    ksub.add_parser("list", help="signing keys: state, when each signs from, until when it is in JWKS (UTC)")
    keys.set_defaults(func=_keys)
    if keys_commands is not None:  # the composition root's own key commands (rotate-master); their
        keys_commands(ksub)  # sub-parser defaults (func) override the group's

    persons = subparsers.add_parser("persons", help="persons (accounts)")
    psub = persons.add_subparsers(dest="persons_command", required=True)
    padd = psub.add_parser("add", help="register a person")
    padd.add_argument("number")
    padd.add_argument("name")
    padd.add_argument("--phone")
    padd.add_argument("--password", help="default: prompt")
    padd.add_argument("--assurance", choices=["low", "substantial", "high"], default="low")
    padd.add_argument("--roles", help="e.g. 'counter clerk:11110000000137015K'")
    persons.set_defaults(func=_persons)

    deliveries = subparsers.add_parser(
        "logout-deliveries", help="back-channel logout tokens owed to relying parties (the outbox)"
    )
    dsub = deliveries.add_subparsers(dest="deliveries_command", required=True)
    dlist = dsub.add_parser("list", help="newest first; no tokens or subjects shown")
    dlist.add_argument("--state", choices=list(STATES))
    dlist.add_argument("--limit", type=int, default=200)
    dlist.add_argument("--json", action="store_true")
    dretry = dsub.add_parser("retry", help="requeue a dead (or waiting) delivery with a fresh budget of attempts")
    dretry.add_argument("id", nargs="?", type=int)
    dretry.add_argument("--all-dead", action="store_true", help="requeue every dead delivery")
    deliveries.set_defaults(func=_logout_deliveries)
