"""rebench and drift findings: scheduled re-benchmarks compared with their baselines

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:40:00.000000

``rebench`` is one ``blindside rebench``: the run it made, when, how many alerts,
and its JSON report. ``drift_finding`` holds one row per metric of each (model,
tier) compared with that model's baseline run, with the test's p-value (raw and
Holm-adjusted), the threshold that applied and the verdict.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'rebench',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('suite_id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('alerts', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run.id']),
        sa.ForeignKeyConstraint(['suite_id'], ['suite.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_rebench_suite_id'), 'rebench', ['suite_id'], unique=False)
    op.create_table(
        'drift_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rebench_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('tier', sa.Integer(), nullable=False),
        sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('baseline_run_id', sa.Integer(), nullable=False),
        sa.Column('baseline', sa.Float(), nullable=True),
        sa.Column('current', sa.Float(), nullable=True),
        sa.Column('effect', sa.Float(), nullable=True),
        sa.Column('p_value', sa.Float(), nullable=True),
        sa.Column('p_adjusted', sa.Float(), nullable=True),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('n_baseline', sa.Integer(), nullable=False),
        sa.Column('n_current', sa.Integer(), nullable=False),
        sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['baseline_run_id'], ['run.id']),
        sa.ForeignKeyConstraint(['model_id'], ['model.id']),
        sa.ForeignKeyConstraint(['rebench_id'], ['rebench.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        op.f('ix_drift_finding_rebench_id'), 'drift_finding', ['rebench_id'], unique=False
    )
    op.create_index(op.f('ix_drift_finding_model_id'), 'drift_finding', ['model_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_drift_finding_model_id'), table_name='drift_finding')
    op.drop_index(op.f('ix_drift_finding_rebench_id'), table_name='drift_finding')
    op.drop_table('drift_finding')
    op.drop_index(op.f('ix_rebench_suite_id'), table_name='rebench')
    op.drop_table('rebench')
