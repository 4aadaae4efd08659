"""where an answer's usage came from, a router's cost, the request id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:10:00.000000

``usage_source`` says whose token counts an answer's cost rests on: the
provider's own (``provider``), a router's (``router``: a LiteLLM proxy passes
the upstream's counts on, or makes its own when there are none), or
blindside's estimate from the text (``estimated``). Answers stored before
this revision are ``estimated`` when ``tokens_estimated`` says so, else
``provider`` (no router was recognised before). ``router_cost_usd`` is what a
router reported the answer cost; ``request_id`` the response's request id.
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("usage_source", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("router_cost_usd", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    op.execute(
        "UPDATE response SET usage_source = CASE WHEN tokens_estimated THEN 'estimated' "
        "ELSE 'provider' END WHERE error IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_column("request_id")
        batch_op.drop_column("router_cost_usd")
        batch_op.drop_column("usage_source")
