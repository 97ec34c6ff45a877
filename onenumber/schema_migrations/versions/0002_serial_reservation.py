"""serial reservations: a serial is consumed only by a committed issuance

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'wallet_serial_reservation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('issuer_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=32), nullable=False),
        sa.Column('reserved_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('released', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['issuer_id'], ['wallet_department.id'],
                                name=op.f('fk_wallet_serial_reservation_issuer_id_wallet_department')),
        sa.ForeignKeyConstraint(['type_id'], ['wallet_license_type.id'],
                                name=op.f('fk_wallet_serial_reservation_type_id_wallet_license_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_serial_reservation')),
        sa.UniqueConstraint('type_id', 'issuer_id', 'serial',
                            name=op.f('uq_wallet_serial_reservation_type_id_issuer_id_serial')),
    )


def downgrade() -> None:
    op.drop_table('wallet_serial_reservation')
