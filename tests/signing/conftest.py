"""Fixtures of the signing tests (signing takes the test's settings as a parameter), a sample document,
a small app with only the signing router (the full app depends on packages built elsewhere)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import make_sessionmaker
from core.errors import wire_error_handler
from core.runtime import Runtime
from core.settings import Settings
from signing import DocumentSpec, render_pdf, seal_pdf
from signing.errors import SigningError

DEPARTMENT = "示例市行政审批局"
CODE = "11110000000137015K"


@pytest.fixture
def spec() -> DocumentSpec:
    """A food business permit with Chinese text, digits and a long wrapped field."""
    return DocumentSpec(
        title="食品经营许可证",
        holder_name="示例科技有限公司",
        holder_number_masked="9111**********341L",
        fields=[
            ("经营场所", "示例市示例区人民路1号"),
            ("主体业态", "餐饮服务经营者"),
            ("经营项目", "热食类食品制售；冷食类食品制售；生食类食品制售；糕点类食品（含裱花蛋糕）制售"),
        ],
        issuer_name=DEPARTMENT,
        issuer_code=CODE,
        identifier="JY11101050000001",
        verify_url="http://testserver/verify/JY11101050000001",
        issued_on=date(2026, 1, 5),
        valid_until=date(2031, 1, 4),
    )


Sealer = Callable[..., bytes]


@pytest.fixture
def seal(session: Session, settings: Settings) -> Sealer:
    """``seal(pdf, **kwargs)``: seal with the demo department (synchronously)."""

    def run(pdf: bytes, **kwargs: object) -> bytes:
        args: dict[str, object] = {"department_name": DEPARTMENT, "department_code": CODE}
        args.update(kwargs)
        out = asyncio.run(seal_pdf(session=session, settings=settings, pdf=pdf, **args))  # type: ignore[arg-type]
        session.commit()  # release SQLite's write lock for the app's own sessions
        return out

    return run


@pytest.fixture
def sealed(seal: Sealer, spec: DocumentSpec) -> bytes:
    """The sample document sealed at B-T."""
    return seal(render_pdf(spec))


@pytest.fixture
def signing_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """A TestClient on an app with only the signing router."""
    from signing.router import router

    app = FastAPI()
    app.state.runtime = Runtime(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine))
    app.add_exception_handler(SigningError, wire_error_handler)
    app.include_router(router)
    with TestClient(app) as client:
        yield client
