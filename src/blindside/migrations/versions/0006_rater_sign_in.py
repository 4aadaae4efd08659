"""raters: case-insensitive names, hashed sign-in links and sessions, revocation, exclusion

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:30:00.000000

``name_key`` is the normalised, case-folded name, unique, so "Ada Tester" and
"ada tester" are one rater. Before this revision anyone could type either and
become a second rater; such later duplicates are renamed "NAME #ID" here (their
votes stay theirs) so that every rater can still be named on the command line.
``token_hash`` (never written) becomes ``invite_hash``. The rule for the key is a
frozen copy of blindside.raters.rater_name_key as of this revision.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _fill_name_keys() -> None:
    """Each rater's key; a later rater whose key is taken is renamed "NAME #ID"."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, name FROM rater ORDER BY id")).fetchall()
    taken = {_name_key(name) for _, name in rows}
    seen: set[str] = set()
    for rater_id, name in rows:
        key = _name_key(name)
        if key in seen:
            name = f"{' '.join(name.split())} #{rater_id}"
            while _name_key(name) in taken:
                name += "'"
            key = _name_key(name)
            taken.add(key)
        seen.add(key)
        bind.execute(
            sa.text("UPDATE rater SET name = :name, name_key = :key WHERE id = :id"),
            {"name": name, "key": key, "id": rater_id},
        )


def upgrade() -> None:
    with op.batch_alter_table('rater', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.alter_column('token_hash', new_column_name='invite_hash',
                              existing_type=sa.String(), existing_nullable=True)
        batch_op.add_column(sa.Column('invite_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('session_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('signed_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('excluded', sa.Boolean(), nullable=False, server_default=sa.false()))

    _fill_name_keys()

    with op.batch_alter_table('rater', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(), nullable=False)
        batch_op.create_index(batch_op.f('ix_rater_name_key'), ['name_key'], unique=True)
        batch_op.create_index(batch_op.f('ix_rater_invite_hash'), ['invite_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_rater_session_hash'), ['session_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('rater', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rater_session_hash'))
        batch_op.drop_index(batch_op.f('ix_rater_invite_hash'))
        batch_op.drop_index(batch_op.f('ix_rater_name_key'))
        batch_op.drop_column('excluded')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('signed_in_at')
        batch_op.drop_column('session_expires_at')
        batch_op.drop_column('session_hash')
        batch_op.drop_column('invite_expires_at')
        batch_op.alter_column('invite_hash', new_column_name='token_hash',
                              existing_type=sa.String(), existing_nullable=True)
        batch_op.drop_column('name_key')
