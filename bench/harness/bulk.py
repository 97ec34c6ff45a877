"""Bulk seeding for benchmarks: persons (idp) and licenses (wallet) into PostgreSQL with COPY.

    python -m bench.harness.bulk --persons 100000 --licenses 1000000
    python -m bench.harness.bulk --persons 99000 --person-offset 1000 --licenses 990000 --license-offset 10000

Rows match the real tables (``idp.parties.models.Person``, ``wallet.licenses.models.License``) and their
protected columns are computed with ``core.crypto`` exactly as the services compute them: the number
is AES-GCM encrypted under the same contexts, the blind index is ``holder_index(kind, number)``. The COPY
machinery is generic (:func:`copy_rows` over a SQLAlchemy table and a row generator); column defaults of
the model fill whatever the generator leaves out.

Shortcuts, documented in docs/BENCHMARKS.md: every bulk person shares one argon2id hash of the password
``Bulk-2026`` (100,000 hashes at ~21 ms would take 35 minutes and measure nothing); licenses reuse the
field data and the sealed PDF blob of one real license per type issued through the wallet service
(``wallet.licenses.service.issue``) — verification by presentation token never reads the PDF.
Serials are ``BK`` + a 10-digit running number, so they never collide with the service's counters.
Database URL: ``--database-url`` or ``ONENUMBER_DATABASE_URL``; master key: ``ONENUMBER_SECRET_KEY``.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Json
from sqlalchemy import JSON, Table

from core.crypto import encrypt_str, holder_index

PERSON_NUMBER_CONTEXT = "person.number"  # idp.parties.service.create
BULK_PASSWORD = "Bulk-2026"
AREAS = ("110105", "110102", "310104", "440106", "330106", "510107", "420106", "320102")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志文辉宇浩然欣怡子轩雨涵晨阳"
EPOCH = date(1950, 1, 1)
BIRTH_DAYS = 20000  # 1950-01-01 .. 2004-10-04


def psycopg_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy one."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


# ---------------------------------------------------------------- generic COPY machinery


@dataclass(frozen=True)
class CopyPlan:
    """Which columns of ``table`` a COPY writes, and the constant defaults of those a generator omits."""

    table: Table
    columns: tuple[str, ...]
    defaults: dict[str, Any]
    json_columns: frozenset[str]


def plan(table: Table, provided: Iterable[str]) -> CopyPlan:
    """Columns = everything but an autoincrement primary key; omitted ones take the model default once."""
    provided = set(provided)
    columns, defaults = [], {}
    for col in table.columns:
        if col.primary_key and col.autoincrement in (True, "auto") and col.name not in provided:
            continue
        columns.append(col.name)
        if col.name in provided:
            continue
        if col.default is not None:
            arg = col.default.arg  # type: ignore[attr-defined]
            defaults[col.name] = arg(None) if callable(arg) else arg
        elif col.nullable:
            defaults[col.name] = None
        else:
            raise ValueError(
                f"{table.name}.{col.name} is NOT NULL without a default: the generator must set it"
            )
    json_cols = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
    return CopyPlan(table, tuple(columns), defaults, json_cols)


def copy_rows(conn: psycopg.Connection[Any], copy_plan: CopyPlan, rows: Iterable[dict[str, Any]]) -> int:
    """COPY ``rows`` (dicts by column name) into the plan's table; returns the count."""
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(copy_plan.table.name), sql.SQL(", ").join(map(sql.Identifier, copy_plan.columns))
    )
    n = 0
    cols, defaults, js = copy_plan.columns, copy_plan.defaults, copy_plan.json_columns
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row in rows:
            values = []
            for c in cols:
                v = row[c] if c in row else defaults[c]
                values.append(Json(v) if c in js and v is not None else v)
            copy.write_row(values)
            n += 1
    return n


# ---------------------------------------------------------------- persons


def resident_id(i: int) -> str:
    """The i-th synthetic, valid resident ID (area, birth date, sequence 100-999, MOD 11-2 check)."""
    from identifiers.iso7064 import mod_11_2_check

    day = EPOCH + timedelta(days=i % BIRTH_DAYS)
    rest = i // BIRTH_DAYS
    area = AREAS[rest % len(AREAS)]
    seq = 100 + rest // len(AREAS)
    if seq > 999:
        raise ValueError("more synthetic persons than the number space of this generator (~18 million)")
    body = f"{area}{day:%Y%m%d}{seq:03d}"
    return body + mod_11_2_check(body)


def person_name(i: int) -> str:
    """A deterministic two- or three-character Chinese name."""
    r = random.Random(i)
    given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6 else "")
    return r.choice(SURNAMES) + given


def person_rows(start: int, count: int, *, master_key: str, password_hash: str) -> Iterator[dict[str, Any]]:
    """Rows of ``idp_person`` for persons ``start .. start+count-1``."""
    for i in range(start, start + count):
        number = resident_id(i)
        yield {
            "sub": secrets.token_urlsafe(16),
            "number_cipher": encrypt_str(number, master_key=master_key, context=PERSON_NUMBER_CONTEXT),
            "number_index": holder_index("person", number, master_key=master_key),
            "name": person_name(i),
            "phone": f"199{i:08d}",
            "password_hash": password_hash,
            "assurance": "low",
            "failed_logins": 0,
        }


# ---------------------------------------------------------------- licenses


@dataclass(frozen=True)
class LicenseTemplate:
    """What bulk licenses of one type copy from a real one: ids, data, validity and the sealed blob."""

    type_id: int
    issuer_id: int
    type_code: str
    issuer_code: str
    validity: dict[str, int] | None
    data: dict[str, Any]
    pdf_blob_key: str
    pdf_sha256: str
    pdf_size: int


def license_rows(
    start: int,
    count: int,
    *,
    holders: Sequence[int],
    templates: Sequence[LicenseTemplate],
    master_key: str,
    today: date,
) -> Iterator[dict[str, Any]]:
    """Rows of ``wallet_license``: license ``j`` goes to ``holders[j % len(holders)]``, types round-robin."""
    from identifiers import license_id, ric
    from wallet.licenses.service import HOLDER_NUMBER_CONTEXT, add_validity

    china = timedelta(hours=8)
    for j in range(start, start + count):
        person = holders[j % len(holders)]
        tpl = templates[(j // len(holders)) % len(templates)]
        number = resident_id(person)
        serial = f"BK{j:010d}"
        r = random.Random(j)
        valid_from = today - timedelta(days=r.randrange(0, 5 * 365))
        roll = r.random()
        status = "valid" if roll < 0.97 else ("suspended" if roll < 0.99 else "revoked")
        issued = datetime(valid_from.year, valid_from.month, valid_from.day, 9, tzinfo=UTC) - china
        yield {
            "identifier": license_id.make(tpl.type_code, tpl.issuer_code, serial, 1),
            "type_id": tpl.type_id,
            "issuer_id": tpl.issuer_id,
            "serial": serial,
            "version": 1,
            "previous_id": None,
            "holder_kind": "person",
            "holder_index": holder_index("person", number, master_key=master_key),
            "holder_number_cipher": encrypt_str(number, master_key=master_key, context=HOLDER_NUMBER_CONTEXT),
            "holder_number_masked": ric.mask(number),
            "holder_name": person_name(person),
            "data": tpl.data,
            "status": status,
            "status_reason": None if status == "valid" else "bulk seed",
            "valid_from": valid_from,
            "valid_until": add_validity(valid_from, tpl.validity),
            "issued_at": issued,
            "issued_by": "system",
            "status_changed_at": issued,
            "pdf_blob_key": tpl.pdf_blob_key,
            "pdf_sha256": tpl.pdf_sha256,
            "pdf_size": tpl.pdf_size,
            "idempotency_key": None,
            "request_hash": None,
        }


def _sample_value(prop: dict[str, Any]) -> Any:
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return prop.get("minimum", 1)
    if prop.get("format") == "date":
        return "2026-01-15"
    return ("示例" * 10)[: max(2, min(prop.get("maxLength", 8), 8))]


def _sample_data(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: _sample_value(prop) for name, prop in schema.get("properties", {}).items()}


def templates_for_persons(*, database_url: str, settings: Any) -> list[LicenseTemplate]:
    """One template per active person-held license type, from an existing license or one issued now."""
    from sqlalchemy import select

    from core.db import make_engine, make_sessionmaker
    from storage.deps import open_blob_store
    from wallet.catalog.models import LicenseType
    from wallet.licenses import service as license_service
    from wallet.licenses.models import License

    engine = make_engine(database_url)
    out: list[LicenseTemplate] = []
    try:
        with make_sessionmaker(engine)() as session:
            types = session.scalars(
                select(LicenseType)
                .where(LicenseType.holder_kind == "person", LicenseType.active.is_(True))
                .order_by(LicenseType.type_code)
            ).all()
            if not types:
                raise SystemExit("no person-held license types in the catalog: run `onenumber seed` first")
            for lt in types:
                lic = session.scalars(
                    select(License)
                    .where(License.type_id == lt.id, ~License.serial.startswith("BK"))
                    .order_by(License.id)
                    .limit(1)
                ).first()
                if lic is None:
                    lic = license_service.issue(
                        session=session,
                        settings=settings,
                        blob_store=open_blob_store(settings),
                        caller=None,
                        type_code=lt.type_code,
                        holder_number=resident_id(0),
                        holder_name=person_name(0),
                        data=_sample_data(lt.field_schema),
                    ).license
                out.append(
                    LicenseTemplate(
                        lt.id,
                        lt.issuer_id,
                        lt.type_code,
                        lt.issuer.credit_code,
                        lt.validity,
                        dict(lic.data),
                        lic.pdf_blob_key,
                        lic.pdf_sha256,
                        lic.pdf_size,
                    )
                )
    finally:
        engine.dispose()
    return out


# ---------------------------------------------------------------- command


def _timed(label: str, fn: Callable[[], int]) -> dict[str, Any]:
    t0 = time.perf_counter()
    n = fn()
    dt = time.perf_counter() - t0
    print(f"{label}: {n:,} rows in {dt:.1f} s ({n / dt if dt else 0:,.0f} rows/s)", file=sys.stderr)
    return {"rows": n, "seconds": round(dt, 2)}


def run(
    *,
    database_url: str,
    persons: int,
    person_offset: int,
    licenses: int,
    license_offset: int,
    holders: int | None = None,
) -> dict[str, Any]:
    """Seed; returns timings. Licenses go to the persons created now, or to ``holders`` earlier ones."""
    from core.settings import Settings
    from idp.parties.models import Person
    from idp.parties.passwords import hash_password
    from wallet.licenses.models import License

    settings = Settings(database_url=database_url)
    key = settings.secret_key
    report: dict[str, Any] = {}
    templates: list[LicenseTemplate] = []
    if licenses:
        try:
            templates = templates_for_persons(database_url=database_url, settings=settings)
        except SystemExit as exc:  # nothing to copy from: seed the persons, say why no licenses
            report["licenses_error"] = str(exc)
    with psycopg.connect(psycopg_url(database_url)) as conn:
        if persons:
            pw = hash_password(BULK_PASSWORD)
            rows = person_rows(person_offset, persons, master_key=key, password_hash=pw)
            first = next(rows)
            p_plan = plan(Person.__table__, first)  # type: ignore[arg-type]
            report["persons"] = _timed("persons", lambda: copy_rows(conn, p_plan, _chain(first, rows)))
            conn.commit()
        if licenses and templates:
            if persons:
                owners: Sequence[int] = range(person_offset, person_offset + persons)
            else:
                owners = range(0, holders or 1)
            today = datetime.now(UTC).date()
            rows = license_rows(
                license_offset, licenses, holders=owners, templates=templates, master_key=key, today=today
            )
            first = next(rows)
            l_plan = plan(License.__table__, first)  # type: ignore[arg-type]
            report["licenses"] = _timed("licenses", lambda: copy_rows(conn, l_plan, _chain(first, rows)))
            conn.commit()
        with conn.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute("ANALYZE idp_person")
            cur.execute("ANALYZE wallet_license")
            report["analyze_s"] = round(time.perf_counter() - t0, 2)
            cur.execute("SELECT count(*) FROM idp_person")
            report["persons_total"] = cur.fetchone()[0]  # type: ignore[index]
            cur.execute("SELECT count(*) FROM wallet_license")
            report["licenses_total"] = cur.fetchone()[0]  # type: ignore[index]
    return report


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints a JSON report."""
    import json

    p = argparse.ArgumentParser(description="Bulk-seed persons and licenses into PostgreSQL with COPY")
    p.add_argument("--database-url", default=os.environ.get("ONENUMBER_DATABASE_URL"))
    p.add_argument("--persons", type=int, default=100_000)
    p.add_argument("--person-offset", type=int, default=0)
    p.add_argument("--licenses", type=int, default=1_000_000)
    p.add_argument("--license-offset", type=int, default=0)
    p.add_argument(
        "--holders",
        type=int,
        default=None,
        help="with --persons 0: give the licenses to bulk persons 0..HOLDERS-1",
    )
    a = p.parse_args(argv)
    if not a.database_url or not a.database_url.startswith("postgresql"):
        print("bulk seeding needs PostgreSQL (--database-url or ONENUMBER_DATABASE_URL)", file=sys.stderr)
        return 2
    report = run(
        database_url=a.database_url,
        persons=a.persons,
        person_offset=a.person_offset,
        licenses=a.licenses,
        license_offset=a.license_offset,
        holders=a.holders,
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
