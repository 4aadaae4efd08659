"""cache-write tokens on each answer

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00.000000

``cache_write_tokens`` holds the input tokens a provider reports as written into its
prompt cache (OpenRouter's ``prompt_tokens_details.cache_write_tokens``, Anthropic's
``cache_creation_input_tokens``), which Anthropic-style caching bills above plain input.
It is a part of ``input_tokens``, like ``cached_tokens``. NULL on answers stored before
this revision: no write was recorded.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_tokens', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('cache_write_tokens')
