"""Wallet benchmark, in process: issuance including sealing, and public verification by presentation token.

    .venv/bin/python bench/wallet_bench.py [--issue 60] [--licenses 2000] [--verify 3000] [--http]

Runs on a throwaway SQLite database and local blob directory (or ``--database-url`` for PostgreSQL);
prints a Markdown table for docs/BENCHMARKS.md "## Wallet". The HTTP figures of the whole platform under
load come from ``make bench`` (bench/harness); this isolates the wallet's own cost per operation.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue", type=int, default=60, help="licenses issued through the full pipeline")
    parser.add_argument(
        "--licenses", type=int, default=2000, help="licenses in the registry for verification"
    )
    parser.add_argument("--verify", type=int, default=3000, help="verifications to time")
    parser.add_argument("--http", action="store_true", help="also time POST /api/verify/presentation (ASGI)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    os.environ["ONENUMBER_DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ["ONENUMBER_STORAGE_URL"] = f"file://{tmp / 'blobs'}"
    os.environ.setdefault("ONENUMBER_SECRET_KEY", "bench-master-key-0123456789abcdef0123")
    from core.settings import get_settings

    get_settings.cache_clear()
    import onenumber.models  # noqa: F401
    from core.db import Base, make_engine, make_sessionmaker
    from storage.deps import open_blob_store
    from wallet.catalog import demo
    from wallet.catalog import service as catalog_service
    from wallet.licenses import presentation, verification
    from wallet.licenses import service as license_service
    from wallet.licenses.models import License

    settings = get_settings()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    store = open_blob_store(settings)
    session = make_sessionmaker(engine)()
    for dept in demo.DEPARTMENTS:
        if dept["credit_code"] != demo.CIVIL:  # see the work-log guard note in tests/wallet/conftest.py
            catalog_service.create_department(session=session, **dept)
    for spec in demo.LICENSE_TYPES:
        if spec["issuer_code"] != demo.CIVIL:
            catalog_service.create_type(session=session, **spec)
    session.commit()

    def issue_one(i: int) -> License:
        data = {**demo.LICENSES[4][3], "birthplace": f"示例市第{i}医院"}
        return license_service.issue(
            session=session,
            settings=settings,
            blob_store=store,
            caller=None,
            type_code=demo.BIRTH_CERTIFICATE,
            holder_number="110102199101010078",
            holder_name="李四",
            data=data,
        ).license

    issue_one(-1)  # warm-up: PKI, seal certificate, fonts
    started = time.perf_counter()
    for i in range(args.issue):
        issue_one(i)
    issue_s = time.perf_counter() - started
    rows: list[tuple[str, str]] = [
        (
            "issuance incl. render + seal B-T + blob + transaction",
            f"**{args.issue / issue_s:.1f}/s** "
            f"({issue_s / args.issue * 1000:.1f} ms each, {args.issue} licenses)",
        ),
    ]

    # Fill the registry cheaply by cloning the last license row (verification never reads the PDF).
    template = session.query(License).order_by(License.id.desc()).first()
    assert template is not None
    have = session.query(License).count()
    for n in range(have, args.licenses):
        clone = License(
            **{c.name: getattr(template, c.name) for c in License.__table__.columns if c.name != "id"}
        )
        clone.identifier = f"{template.identifier}-{n}"
        clone.serial = f"B{n}"
        clone.idempotency_key = None
        session.add(clone)
        if n % 1000 == 0:
            session.commit()
    session.commit()
    ids = [r for (r,) in session.query(License.id).all()]
    tokens = []
    for _ in range(500):
        lic = session.get(License, random.choice(ids))
        assert lic is not None
        tokens.append(
            presentation.present(
                session=session, settings=settings, lic=lic, fields=["sex"], ttl=presentation.MAX_TTL
            ).token
        )
    latencies = []
    started = time.perf_counter()
    for i in range(args.verify):
        t0 = time.perf_counter()
        verification.verify_presentation(session=session, token=tokens[i % len(tokens)])
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    rows.append(
        (
            f"verify presentation token, service call, {len(ids):,} licenses (1 thread)",
            f"**{args.verify / total:,.0f}/s**; p50 {_pct(latencies, 0.5):.2f} ms, "
            f"p99 {_pct(latencies, 0.99):.2f} ms",
        )
    )

    if args.http:
        from fastapi.testclient import TestClient

        from onenumber.app import create_app

        app = create_app(settings)
        with TestClient(app) as client:
            latencies = []
            started = time.perf_counter()
            for i in range(args.verify):
                t0 = time.perf_counter()
                resp = client.post("/api/verify/presentation", json={"token": tokens[i % len(tokens)]})
                latencies.append(time.perf_counter() - t0)
                assert resp.status_code == 200, resp.text
            total = time.perf_counter() - started
        rows.append(
            (
                "POST /api/verify/presentation through ASGI (TestClient, 1 connection)",
                f"**{args.verify / total:,.0f}/s**; p50 {_pct(latencies, 0.5):.2f} ms, "
                f"p99 {_pct(latencies, 0.99):.2f} ms",
            )
        )
    session.close()
    engine.dispose()
    backend = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
    print(f"Database: {backend}; blobs: local directory; one process.\n")
    print("| figure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
