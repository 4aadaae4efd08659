"""judge runs and verdicts: an LLM judge's verdicts on pairs, apart from human votes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00.000000

``judge_run`` is one judge model on one suite under one rubric (unique on the three).
``judge_verdict`` is one verdict on one pair in one order (``position`` 0 or 1), unique
per (run, pair, position), with the raw reply, tokens, cost and latency. ``choice`` is
NULL when the reply did not parse (``parse_error``) or the request failed (``error``).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'judge_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('suite_id', sa.Integer(), nullable=False),
        sa.Column('judge_model_id', sa.Integer(), nullable=False),
        sa.Column('rubric_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('stop_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('max_cost_usd', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['judge_model_id'], ['model.id']),
        sa.ForeignKeyConstraint(['suite_id'], ['suite.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('suite_id', 'judge_model_id', 'rubric_hash', name='uq_judge_run_key'),
    )
    op.create_index('ix_judge_run_suite_id', 'judge_run', ['suite_id'])
    op.create_index('ix_judge_run_judge_model_id', 'judge_run', ['judge_model_id'])
    op.create_table(
        'judge_verdict',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('judge_run_id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('judge_model_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('left_response_id', sa.Integer(), nullable=False),
        sa.Column('right_response_id', sa.Integer(), nullable=False),
        sa.Column('choice', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('parse_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('raw_reply', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('input_tokens', sa.Integer(), nullable=True),
        sa.Column('output_tokens', sa.Integer(), nullable=True),
        sa.Column('cost_usd', sa.Float(), nullable=True),
        sa.Column('latency_ms', sa.Float(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['judge_run_id'], ['judge_run.id']),
        sa.ForeignKeyConstraint(['pair_id'], ['pair.id']),
        sa.ForeignKeyConstraint(['judge_model_id'], ['model.id']),
        sa.ForeignKeyConstraint(['left_response_id'], ['response.id']),
        sa.ForeignKeyConstraint(['right_response_id'], ['response.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('judge_run_id', 'pair_id', 'position', name='uq_judge_verdict_key'),
    )
    op.create_index('ix_judge_verdict_judge_run_id', 'judge_verdict', ['judge_run_id'])
    op.create_index('ix_judge_verdict_pair_id', 'judge_verdict', ['pair_id'])


def downgrade() -> None:
    op.drop_index('ix_judge_verdict_pair_id', table_name='judge_verdict')
    op.drop_index('ix_judge_verdict_judge_run_id', table_name='judge_verdict')
    op.drop_table('judge_verdict')
    op.drop_index('ix_judge_run_judge_model_id', table_name='judge_run')
    op.drop_index('ix_judge_run_suite_id', table_name='judge_run')
    op.drop_table('judge_run')
