"""two-phase key rotation (issue 16.4): a signing key's activation time, and one active key per algorithm
as a database rule

Revision ID: 0009
Revises: 0008
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_signing_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activates_at', core.db.UTCDateTime(timezone=True), nullable=True))
    # Two processes creating the first key at once could leave two active keys of one algorithm: the newest
    # stays active, the others verify what they signed for one more day (their tokens live minutes).
    keys = sa.table(
        'idp_signing_key', sa.column('kid', sa.String), sa.column('alg', sa.String), sa.column('state', sa.String),
        sa.column('created_at', core.db.UTCDateTime(timezone=True)),
        sa.column('not_after', core.db.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    newest: dict[str, str] = {}
    for kid, alg in bind.execute(
        sa.select(keys.c.kid, keys.c.alg).where(keys.c.state == 'active').order_by(keys.c.created_at, keys.c.kid)
    ):
        newest[alg] = kid
    until = datetime.now(UTC) + timedelta(days=1)
    bind.execute(
        keys.update().where(keys.c.state == 'active', keys.c.kid.not_in(list(newest.values()) or [''])).values(
            state='retiring', not_after=until
        )
    )
    with op.batch_alter_table('idp_signing_key', schema=None) as batch_op:
        batch_op.create_index(
            'uq_idp_signing_key_one_active', ['alg'], unique=True,
            sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"),
        )


def downgrade() -> None:
    # pending keys would sign at once under the old code: they become active only if none is
    op.execute("DELETE FROM idp_signing_key WHERE state = 'pending'")
    with op.batch_alter_table('idp_signing_key', schema=None) as batch_op:
        batch_op.drop_index('uq_idp_signing_key_one_active')
        batch_op.drop_column('activates_at')
