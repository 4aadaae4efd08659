"""impressions: each pair shown to a rater, and the vote that answered it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

An ``impression`` row is one pair on one rater's screen: its sides, when the
server showed it, and when a vote or a skip answered it. The partial unique index
``uq_impression_open_rater`` lets a rater have one open impression at most (the
pair on their screen), and ``uq_impression_rater_pair`` shows a rater a pair
once. ``vote.impression_id`` names the impression a vote answered, unique so
that one impression is answered by one vote; votes stored before this revision
keep NULL there (their impressions were never recorded).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_OPEN = sa.text('answered_at IS NULL')


def upgrade() -> None:
    op.create_table(
        'impression',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('rater_id', sa.Integer(), nullable=False),
        sa.Column('left_response_id', sa.Integer(), nullable=False),
        sa.Column('shown_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('skipped', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['left_response_id'], ['response.id']),
        sa.ForeignKeyConstraint(['pair_id'], ['pair.id']),
        sa.ForeignKeyConstraint(['rater_id'], ['rater.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('impression', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impression_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index('uq_impression_rater_pair', ['rater_id', 'pair_id'], unique=True)
        batch_op.create_index(
            'uq_impression_open_rater', ['rater_id'], unique=True,
            sqlite_where=_OPEN, postgresql_where=_OPEN,
        )

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('impression_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_vote_impression_id'), ['impression_id'], unique=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_vote_impression_id_impression'), 'impression', ['impression_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vote_impression_id_impression'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_vote_impression_id'))
        batch_op.drop_column('impression_id')

    with op.batch_alter_table('impression', schema=None) as batch_op:
        batch_op.drop_index('uq_impression_open_rater')
        batch_op.drop_index('uq_impression_rater_pair')
        batch_op.drop_index(batch_op.f('ix_impression_pair_id'))

    op.drop_table('impression')
