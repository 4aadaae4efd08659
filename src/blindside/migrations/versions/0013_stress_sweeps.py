"""stress sweeps: stress_sweep, stress_step, stress_request

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:40:00.000000

Every ``blindside stress`` sweep is stored: the sweep (model, mode, loads, bounds, outcome
and knee), one row per load step (counts, errors by class and the latency percentiles),
and one row per request (when it was sent, its latency, time to first token and error
class), which the time-of-day view reads beside the generation runs' answers.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PERCENTILES = ('p50', 'p90', 'p95', 'p99')


def upgrade() -> None:
    op.create_table(
        'stress_sweep',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('model_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('poisson', sa.Boolean(), nullable=False),
        sa.Column('loads', sa.JSON(), nullable=False),
        sa.Column('requests_per_step', sa.Integer(), nullable=True),
        sa.Column('max_tokens', sa.Integer(), nullable=False),
        sa.Column('max_seconds', sa.Float(), nullable=False),
        sa.Column('max_error_rate', sa.Float(), nullable=False),
        sa.Column('suite_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('stop_reason', sa.Text(), nullable=True),
        sa.Column('knee_load', sa.Float(), nullable=True),
        sa.Column('knee_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_stress_sweep_batch', 'stress_sweep', ['batch'])
    op.create_index('ix_stress_sweep_model_name', 'stress_sweep', ['model_name'])
    op.create_index('ix_stress_sweep_started_at', 'stress_sweep', ['started_at'])
    latencies = [
        sa.Column(f'{metric}_{p}_ms', sa.Float(), nullable=True)
        for metric in ('latency', 'ttft', 'itl')
        for p in _PERCENTILES
    ]
    op.create_table(
        'stress_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sweep_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('load', sa.Float(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('wall_s', sa.Float(), nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.Column('succeeded', sa.Integer(), nullable=False),
        sa.Column('cancelled', sa.Integer(), nullable=False),
        sa.Column('errors_by_class', sa.JSON(), nullable=False),
        sa.Column('output_tokens', sa.Integer(), nullable=False),
        *latencies,
        sa.ForeignKeyConstraint(['sweep_id'], ['stress_sweep.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sweep_id', 'position', name='uq_stress_step_position'),
    )
    op.create_index('ix_stress_step_sweep_id', 'stress_step', ['sweep_id'])
    op.create_table(
        'stress_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('latency_ms', sa.Float(), nullable=False),
        sa.Column('ttft_ms', sa.Float(), nullable=True),
        sa.Column('output_tokens', sa.Integer(), nullable=False),
        sa.Column('error_class', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['step_id'], ['stress_step.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_stress_request_step_id', 'stress_request', ['step_id'])
    op.create_index('ix_stress_request_sent_at', 'stress_request', ['sent_at'])


def downgrade() -> None:
    op.drop_index('ix_stress_request_sent_at', table_name='stress_request')
    op.drop_index('ix_stress_request_step_id', table_name='stress_request')
    op.drop_table('stress_request')
    op.drop_index('ix_stress_step_sweep_id', table_name='stress_step')
    op.drop_table('stress_step')
    op.drop_index('ix_stress_sweep_started_at', table_name='stress_sweep')
    op.drop_index('ix_stress_sweep_model_name', table_name='stress_sweep')
    op.drop_index('ix_stress_sweep_batch', table_name='stress_sweep')
    op.drop_table('stress_sweep')
