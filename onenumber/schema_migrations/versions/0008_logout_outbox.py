"""durable back-channel logout (issue 16.5): the outbox of logout tokens, one row per (logout, relying party)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idp_logout_delivery',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('client_id', sa.String(length=100), nullable=False),
        sa.Column('sid', sa.String(length=43), nullable=False),
        sa.Column('uri', sa.String(length=500), nullable=False),
        sa.Column('claims', sa.JSON(), nullable=False),
        sa.Column('alg', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('give_up_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idp_logout_delivery')),
    )
    with op.batch_alter_table('idp_logout_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_logout_delivery_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_idp_logout_delivery_state_next_attempt_at', ['state', 'next_attempt_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idp_logout_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_idp_logout_delivery_state_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_idp_logout_delivery_client_id'))
    op.drop_table('idp_logout_delivery')
