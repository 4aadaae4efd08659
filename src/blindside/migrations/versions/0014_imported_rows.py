"""imported answers and votes say where they came from

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:40:00.000000

``response.imported_from`` and ``vote.imported_from`` name the file (and its
format) an imported answer or vote was read from, e.g. ``lm-eval:samples_x.jsonl``;
NULL for answers blindside generated and votes cast on its Vote page. Every row
stored before this revision was made by blindside, so NULL is their true value.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('imported_from', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('imported_from', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_column('imported_from')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('imported_from')
