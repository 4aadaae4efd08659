"""automated scores on each answer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:20:00.000000

``correct`` and ``answer_key`` hold what blindside.scoring says about an answer,
so leaderboards aggregate them by GROUP BY instead of parsing texts. Answers
stored before this revision are scored by ``init_project`` on its next start.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correct', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('answer_key', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('answer_key')
        batch_op.drop_column('correct')
