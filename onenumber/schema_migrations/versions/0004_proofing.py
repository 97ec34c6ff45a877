"""identity proofing (issue 14.1/14.7): proofing facts on the person, real-name checks, attempts per number

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proofed_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('proofed_by', sa.String(length=100), nullable=True))
    op.create_table(
        'idp_proofing_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=200), nullable=False),
        sa.Column('transaction', sa.String(length=100), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=True),
        sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['person_id'], ['idp_person.id'], name=op.f('fk_idp_proofing_check_person_id_idp_person')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idp_proofing_check')),
        sa.UniqueConstraint('nonce', name=op.f('uq_idp_proofing_check_nonce')),
    )
    with op.batch_alter_table('idp_proofing_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_proofing_check_person_id'), ['person_id'], unique=False)
    op.create_table(
        'idp_number_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number_index', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idp_number_attempt')),
    )
    with op.batch_alter_table('idp_number_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_number_attempt_number_index'), ['number_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_idp_number_attempt_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idp_number_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_number_attempt_created_at'))
        batch_op.drop_index(batch_op.f('ix_idp_number_attempt_number_index'))
    op.drop_table('idp_number_attempt')
    with op.batch_alter_table('idp_proofing_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_proofing_check_person_id'))
    op.drop_table('idp_proofing_check')
    with op.batch_alter_table('idp_person', schema=None) as batch_op:
        batch_op.drop_column('proofed_by')
        batch_op.drop_column('proofed_at')
