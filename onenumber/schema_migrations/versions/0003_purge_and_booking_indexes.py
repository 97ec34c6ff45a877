"""indexes for the purge and the appointment limits: revocation poll, refresh-token expiry, bookings per person

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_access_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_access_token_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('idp_refresh_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_refresh_token_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('wallet_appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_appointment_booked_by'), ['booked_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wallet_appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_appointment_booked_by'))
    with op.batch_alter_table('idp_refresh_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_refresh_token_expires_at'))
    with op.batch_alter_table('idp_access_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_access_token_expires_at'))
