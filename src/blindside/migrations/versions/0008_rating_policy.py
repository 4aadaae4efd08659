"""rating policy: what is open for rating, the identity policy, gold and repeat shares; gold pairs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00.000000

``rating_policy`` holds at most one row (id 1, checked), written when an admin
saves the Rating setup page. With no row, which is how every database starts,
nothing changes: every suite and tier is open, the identity policy is the
``BLINDSIDE_IDENTITY_POLICY`` setting and the shares are the scheduler's
defaults. NULL in ``active_suites`` or ``active_tiers`` means all of them,
suites loaded later included; NULL in ``identity_policy`` means the setting.

``gold_pair`` marks a pair's better answer (NULL: a tie), who marked it and when.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'rating_policy',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('active_suites', sa.JSON(), nullable=True),
        sa.Column('active_tiers', sa.JSON(), nullable=True),
        sa.Column('identity_policy', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('gold_share', sa.Float(), nullable=False),
        sa.Column('repeat_share', sa.Float(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_rating_policy_one_row'),
        sa.ForeignKeyConstraint(['updated_by'], ['rater.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'gold_pair',
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('better_response_id', sa.Integer(), nullable=True),
        sa.Column('marked_by', sa.Integer(), nullable=False),
        sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['better_response_id'], ['response.id']),
        sa.ForeignKeyConstraint(['marked_by'], ['rater.id']),
        sa.ForeignKeyConstraint(['pair_id'], ['pair.id']),
        sa.PrimaryKeyConstraint('pair_id'),
    )


def downgrade() -> None:
    op.drop_table('gold_pair')
    op.drop_table('rating_policy')
