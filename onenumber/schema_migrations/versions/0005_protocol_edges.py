"""protocol edges (issue 14.6): device-code brute-force counters, kiosk location, code-replay revocation

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idp_device_throttle',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_idp_device_throttle')),
    )
    with op.batch_alter_table('idp_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.String(length=200), nullable=True))
    with op.batch_alter_table('idp_authorization_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minted', sa.JSON(), nullable=True))
    with op.batch_alter_table('idp_device_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrong_attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('idp_device_code', schema=None) as batch_op:
        batch_op.drop_column('wrong_attempts')
    with op.batch_alter_table('idp_authorization_code', schema=None) as batch_op:
        batch_op.drop_column('minted')
    with op.batch_alter_table('idp_client', schema=None) as batch_op:
        batch_op.drop_column('location')
    op.drop_table('idp_device_throttle')
