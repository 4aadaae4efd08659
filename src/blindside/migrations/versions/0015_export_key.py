"""export key: the HMAC key of raters' pseudonyms in exports

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:45:00.000000

``export_key`` holds at most one row (id 1, checked): 32 random bytes as hex,
written by the first export. Exports name a rater by HMAC-SHA256(key, rater id),
so a file's pseudonyms are stable across exports of one database and cannot be
turned back into names without the key, which never leaves the database.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'export_key',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_export_key_one_row'),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('export_key')
