"""Applications: submit latency (10 requirements, holder with 50 licenses) and the department queue's first
page with 100,000 open applications.

    .venv/bin/python bench/applications_bench.py                                   # SQLite in a temp dir
    .venv/bin/python bench/applications_bench.py --database-url postgresql://postgres@127.0.0.1:5497/bench

The database must be empty (tables are created from the models). Licenses and queue rows are bulk-inserted
(the bench measures submission and listing, not sealing); submission goes through
``wallet.applications.service.submit`` exactly as the API does, one commit per application.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

import onenumber.models  # noqa: E402,F401
from core.crypto import encrypt_str, holder_index  # noqa: E402
from core.db import Base, make_engine, make_sessionmaker  # noqa: E402
from core.settings import Settings  # noqa: E402
from wallet.applications import queue  # noqa: E402
from wallet.applications import service as app_service  # noqa: E402
from wallet.applications.applicant import Applicant  # noqa: E402
from wallet.applications.models import Application, ApplicationTask, Document  # noqa: E402
from wallet.catalog import service as catalog_service  # noqa: E402
from wallet.licenses.models import License  # noqa: E402
from wallet.services import calendar  # noqa: E402
from wallet.services import service as items_service  # noqa: E402
from wallet.services.schemas import ServiceItemIn  # noqa: E402

BUREAU, MARKET = "11110000000137015K", "11110000000137023E"
ORG = "91110000600037341L"
KEY = "bench-master-key-0123456789abcdef0123456789"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def setup_item(session, settings: Settings) -> tuple[object, Applicant]:  # type: ignore[no-untyped-def]
    """Five license types, 50 licenses of one organisation, 3 documents, a 10-requirement item."""
    catalog_service.create_department(session=session, credit_code=BUREAU, name="示例市行政审批局")
    catalog_service.create_department(session=session, credit_code=MARKET, name="示例市市场监督管理局")
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    types = []
    for n in range(5):
        t = catalog_service.create_type(
            session=session,
            type_code=f"{BUREAU}{n + 1:03d}",
            name=f"证照{n + 1}",
            issuer_code=BUREAU,
            holder_kind="organization",
            field_schema=schema,
            reuse_class="while_valid",
            validity={"years": 5},
        )
        types.append(t)
    hid = holder_index("organization", ORG, master_key=KEY)
    cipher = encrypt_str(ORG, master_key=KEY, context="license.holder_number")
    rows = []
    for i in range(50):
        t = types[i % 5]
        rows.append(
            dict(
                identifier=f"BENCH-{i:04d}",
                type_id=t.id,
                issuer_id=t.issuer_id,
                serial=f"{i:08d}",
                version=1,
                holder_kind="organization",
                holder_index=hid,
                holder_number_cipher=cipher,
                holder_number_masked="9111**********341L",
                holder_name="示例科技有限公司",
                data={"name": "示例科技有限公司"},
                status="valid",
                valid_from=date(2025, 1, 1),
                valid_until=date(2029, 12, 31),
                issued_at=NOW,
                issued_by="system",
                status_changed_at=NOW,
                pdf_blob_key="0" * 64,
                pdf_sha256=f"{i:064d}",
                pdf_size=1,
            )
        )
    session.execute(insert(License), rows)
    for n in range(3):
        session.add(
            Document(
                holder_index=hid,
                doc_type=f"bench.doc{n}",
                name=f"材料{n}",
                content_type="application/pdf",
                size=100,
                blob_key="1" * 64,
                trust="C",
                uploaded_by="bench",
                uploaded_at=NOW,
            )
        )
    reqs: list[dict[str, object]] = [
        {"key": f"lic{n}", "kind": "license_type", "name": f"证照{n + 1}", "license_type": t.type_code}
        for n, t in enumerate(types)
    ]
    reqs += [
        {
            "key": f"doc{n}",
            "kind": "document",
            "name": f"材料{n}",
            "doc_type": f"bench.doc{n}",
            "reuse": "always",
            "accepted_types": ["application/pdf"],
        }
        for n in range(3)
    ]
    reqs.append(
        {
            "key": "form",
            "kind": "form",
            "name": "申请表",
            "fields": [
                {"name": "shop", "label": "名称", "prefill": "applicant.name"},
                {"name": "seats", "label": "座位", "type": "integer"},
            ],
        }
    )
    reqs.append(
        {
            "key": "promise",
            "kind": "commitment",
            "name": "承诺书",
            "commitment_text": "属实。",
            "liability": "承担责任。",
        }
    )
    item = items_service.create_item(
        session=session,
        spec=ServiceItemIn.model_validate(
            {
                "code": "BENCH-0001",
                "name": "基准事项",
                "category": "business",
                "departments": [MARKET, BUREAU],
                "legal_basis": ["基准"],
                "time_limit_days": 5,
                "channels": ["online"],
                "requirements": reqs,
            }
        ),
    )
    calendar.seed_2026(session=session)
    session.commit()
    applicant = Applicant(
        index=hid,
        kind="organization",
        name="示例科技有限公司",
        submitter_sub="bench",
        submitter_index=None,
        person_name="张三",
        acting_role="legal_representative",
        number=ORG,
    )
    return item, applicant


def bench_submit(session, settings: Settings, item, applicant: Applicant, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds per submission (resolve 10 requirements, record, accept, route, work log, commit)."""
    samples = []
    for i in range(n):
        start = time.perf_counter()
        app_service.submit(
            session=session,
            settings=settings,
            item=item,
            applicant=applicant,
            form={"form": {"seats": 20}},
            commitments=["promise"],
            idempotency_key=f"k{i}",
            now=NOW,
        )
        session.commit()
        samples.append(time.perf_counter() - start)
    return samples


def fill_queue(session, item, total: int) -> None:  # type: ignore[no-untyped-def]
    """``total`` open applications routed to the market regulator (and as many to another department)."""
    rnd = random.Random(7)
    batch = 5000
    base_id = 10_000_000
    for start in range(0, total, batch):
        apps, tasks = [], []
        for i in range(start, min(total, start + batch)):
            deadline = date(2026, 2, 1) + timedelta(days=rnd.randrange(0, 90))
            apps.append(
                dict(
                    id=base_id + i,
                    serial=f"B{i:012d}",
                    query_code_cipher="x",
                    item_id=item.id,
                    item_version=1,
                    applicant_index=f"{i:064d}",
                    applicant_kind="person",
                    applicant_name="某某",
                    submitter_sub=f"s{i}",
                    acting_role="self",
                    channel="online",
                    status="in_review",
                    form_data={},
                    submitted_at=NOW,
                    accepted_at=NOW,
                    deadline=deadline,
                    counter_visit=False,
                    applicant_number_masked="",
                )
            )
            priority = 0 if rnd.random() < 0.05 else 1
            for dept in (MARKET, BUREAU):
                tasks.append(
                    dict(
                        application_id=base_id + i,
                        department_code=dept,
                        status="pending",
                        open=True,
                        priority=priority,
                        deadline=deadline,
                        supplement_requested=False,
                        routed_at=NOW,
                    )
                )
        session.execute(insert(Application), apps)
        session.execute(insert(ApplicationTask), tasks)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
    session.commit()


def bench_queue(session, repeat: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Seconds to list the first page (50) of each view."""
    out: dict[str, list[float]] = {}
    for view in ("all", "near_due", "overdue"):
        queue.list_queue(session=session, department_code=MARKET, now=NOW, view=view)
        samples = []
        for _ in range(repeat):
            session.expunge_all()
            start = time.perf_counter()
            entries = queue.list_queue(session=session, department_code=MARKET, now=NOW, view=view)
            samples.append(time.perf_counter() - start)
        assert entries, view
        out[view] = samples
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--queue-size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="apps-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    settings = Settings(database_url=url, storage_url=f"file://{tmp}/blobs", secret_key=KEY)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        item, applicant = setup_item(session, settings)
        submit = bench_submit(session, settings, item, applicant, args.submissions)
        t0 = time.perf_counter()
        fill_queue(session, item, args.queue_size)
        filled = time.perf_counter() - t0
        queues = bench_queue(session, args.repeat)
    engine.dispose()
    print(f"database: {engine.dialect.name}; queue filled in {filled:.1f} s")
    print("| measurement | p50 ms | p95 ms | target |")
    print("|---|---:|---:|---|")
    print(
        f"| submit, 10 requirements, 50 licenses ({args.submissions} runs) | {_pct(submit, 0.5):.1f} | "
        f"{_pct(submit, 0.95):.1f} | p50 < 30 ms |"
    )
    for view, samples in queues.items():
        print(
            f"| queue first page `{view}`, {args.queue_size:,} open ({args.repeat} runs) | "
            f"{_pct(samples, 0.5):.1f} | {_pct(samples, 0.95):.1f} | < 100 ms on PostgreSQL |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
