"""Alembic environment: one metadata for the whole platform; URL from settings or the caller."""

from alembic import context

import onenumber.models  # noqa: F401  (registers every table)
from core.db import Base, make_engine
from core.settings import get_settings
from onenumber.kernel_hooks import install_kernel_hooks

install_kernel_hooks()  # as every entry point does (onenumber/kernel_hooks.py)

config = context.config
url = config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, compare_type=True, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
