"""rater and date columns at the end of the aggregation indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 20:10:00.000000

A leaderboard cut by raters or by a date window filtered every vote through a
table lookup (about 1 s on a million votes). With ``rater_id`` and
``created_at`` as trailing columns, the GROUP BY still reads the covering index
in key order and filters inside it (about 0.2 s; benchmarks/bench_ranking.py).
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_AGG = ['left_model_id', 'right_model_id', 'choice', 'flagged', 'fallback', 'identity_leak', 'prompt_id']
_CUTS = ['rater_id', 'created_at']


def _rebuild(columns_after: list[str]) -> None:
    op.drop_index('ix_vote_agg', table_name='vote')
    op.drop_index('ix_vote_tier_agg', table_name='vote')
    op.create_index('ix_vote_agg', 'vote', _AGG + columns_after, unique=False)
    op.create_index('ix_vote_tier_agg', 'vote', ['tier'] + _AGG + columns_after, unique=False)


def upgrade() -> None:
    _rebuild(_CUTS)


def downgrade() -> None:
    _rebuild([])
