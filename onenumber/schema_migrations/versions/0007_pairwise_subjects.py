"""pairwise subject identifiers (issue 14.3, OIDC Core §8): a subject type and sector per client, and the
pairwise subs once computed

Clients registered before this revision keep ``public``: their relying parties already hold the public subs,
and changing them would lose every account there. New third-party clients default to ``pairwise``
(idp/oauth/clients.py).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=8), server_default='public', nullable=False))
        batch_op.add_column(sa.Column('sector_identifier_uri', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sector_identifier', sa.String(length=255), nullable=True))
    op.create_table(
        'idp_pairwise_subject',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sector', sa.String(length=255), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('sub', sa.String(length=64), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['person_id'], ['idp_person.id'], name=op.f('fk_idp_pairwise_subject_person_id_idp_person')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idp_pairwise_subject')),
        sa.UniqueConstraint('sector', 'person_id', name=op.f('uq_idp_pairwise_subject_sector_person_id')),
        sa.UniqueConstraint('sub', name=op.f('uq_idp_pairwise_subject_sub')),
    )
    with op.batch_alter_table('idp_pairwise_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_pairwise_subject_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idp_pairwise_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_pairwise_subject_person_id'))
    op.drop_table('idp_pairwise_subject')
    with op.batch_alter_table('idp_client', schema=None) as batch_op:
        batch_op.drop_column('sector_identifier')
        batch_op.drop_column('sector_identifier_uri')
        batch_op.drop_column('subject_type')
