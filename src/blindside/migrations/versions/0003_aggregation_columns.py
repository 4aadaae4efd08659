"""aggregation columns, identity leaks, style features

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:27:33.683549
"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Server defaults let existing rows take the NOT NULL columns; the backfill below
    # then replaces the placeholders with the real values. Defaults are plain strings
    # ('0' is false on both backends): anything else makes Alembic rebuild the SQLite
    # table, which fails once other tables' foreign keys point at its rows.
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_leak', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('text_chars', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('md_headers', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('md_list_items', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('md_bold', sa.Integer(), nullable=True))

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('right_response_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('left_model_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('right_model_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('prompt_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tier', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('fallback', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('identity_leak', sa.Boolean(), nullable=False, server_default='0'))

    _backfill_votes()
    _analyse_answers()

    # Indexes after the backfill: building them once is cheaper than updating them per row.
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index('ix_vote_agg', ['left_model_id', 'right_model_id', 'choice', 'flagged', 'fallback', 'identity_leak', 'prompt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_prompt_id'), ['prompt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_vote_tier_agg', ['tier', 'left_model_id', 'right_model_id', 'choice', 'flagged', 'fallback', 'identity_leak', 'prompt_id'], unique=False)


def _backfill_votes() -> None:
    """Copy pair, answer and prompt facts onto existing votes (correlated subqueries: portable)."""
    op.execute(
        "UPDATE vote SET "
        "right_response_id = (SELECT CASE WHEN pair.response_a_id = vote.left_response_id "
        "THEN pair.response_b_id ELSE pair.response_a_id END FROM pair WHERE pair.id = vote.pair_id), "
        "prompt_id = (SELECT pair.prompt_id FROM pair WHERE pair.id = vote.pair_id)"
    )
    op.execute(
        "UPDATE vote SET "
        "left_model_id = (SELECT r.model_id FROM response r WHERE r.id = vote.left_response_id), "
        "right_model_id = (SELECT r.model_id FROM response r WHERE r.id = vote.right_response_id), "
        "run_id = (SELECT r.run_id FROM response r WHERE r.id = vote.left_response_id), "
        "tier = (SELECT p.tier FROM prompt p WHERE p.id = vote.prompt_id), "
        "fallback = EXISTS (SELECT 1 FROM response r WHERE r.is_fallback "
        "AND r.id IN (vote.left_response_id, vote.right_response_id))"
    )


def _analyse_answers() -> None:
    """Flag identity leaks and measure style of the answers already stored."""
    bind = op.get_bind()
    names = [s for row in bind.execute(sa.text("SELECT name, model_id FROM model")) for s in row if s]
    rows = bind.execute(sa.text("SELECT id, text FROM response WHERE text IS NOT NULL")).all()
    params = []
    for response_id, text in rows:
        params.append(
            {"id": response_id, "leak": _leaks_identity(text, names), "chars": len(text),
             "headers": len(_HEADER.findall(text)), "items": len(_LIST_ITEM.findall(text)),
             "bold": len(_BOLD.findall(text))}
        )
    if params:
        bind.execute(
            sa.text(
                "UPDATE response SET identity_leak = :leak, text_chars = :chars, "
                "md_headers = :headers, md_list_items = :items, md_bold = :bold WHERE id = :id"
            ),
            params,
        )
    op.execute(
        "UPDATE vote SET identity_leak = EXISTS (SELECT 1 FROM response r WHERE r.identity_leak "
        "AND r.id IN (vote.left_response_id, vote.right_response_id))"
    )


# --------------------------------------------------------------------------- #
# Frozen snapshot of blindside.identity as it was at this revision (2026-11-29).
# A migration never imports application code: editing that module later would
# silently change what this old migration writes. The leak pattern is the five
# regexes that module compiled then, expanded and joined into one alternation
# (it matches a text exactly when one of the five does); the rules are copied as
# they were.
# --------------------------------------------------------------------------- #

_LEAK_PATTERN = re.compile(
    r"(?:\b(?:developed|created|trained|built|made|designed|engineered|programmed|released)\s+(?:and\s+\w+\s+)?by\s+(?:the\s+)?(?:team\s+at\s+)?(?:OpenAI|Anthropic|Google(?: DeepMind)?|DeepMind|Meta(?: AI)?|Mistral(?: AI)?|Alibaba(?: Cloud)?|Qwen Team|DeepSeek|xAI|Microsoft|Cohere|Amazon|AI21(?: Labs)?|Moonshot(?: AI)?|Zhipu(?: AI)?|Baidu|Nvidia|IBM|Perplexity|Together AI)\b)"
    r"|(?:\b(?:I\s+am|I'm|I’m|my\s+name\s+is|this\s+is|call\s+me)\s+(?:an?\s+)?(?:ChatGPT|GPT(?:-?[0-9][\w.-]*)?|o[134](?:-mini)?|Claude(?: [0-9.]+)?(?: (?:Opus|Sonnet|Haiku))?|Gemini(?: [\w.]+)?|Bard|Gemma|PaLM|Llama(?: ?[0-9][\w.]*)?|Mistral|Mixtral|Qwen[\w.-]*|DeepSeek[\w.-]*|Grok|Copilot|Phi(?:-[0-9][\w.-]*)?|Command R\+?|Kimi|GLM[\w.-]*|Ernie|Nemotron)\b)"
    r"|(?:\bas\s+(?:ChatGPT|GPT(?:-?[0-9][\w.-]*)?|o[134](?:-mini)?|Claude(?: [0-9.]+)?(?: (?:Opus|Sonnet|Haiku))?|Gemini(?: [\w.]+)?|Bard|Gemma|PaLM|Llama(?: ?[0-9][\w.]*)?|Mistral|Mixtral|Qwen[\w.-]*|DeepSeek[\w.-]*|Grok|Copilot|Phi(?:-[0-9][\w.-]*)?|Command R\+?|Kimi|GLM[\w.-]*|Ernie|Nemotron)\s*,?\s+I\b)"
    r"|(?:\bAI\s+(?:language\s+)?(?:model|assistant|system|chatbot)\s+(?:from|by|of)\s+(?:OpenAI|Anthropic|Google(?: DeepMind)?|DeepMind|Meta(?: AI)?|Mistral(?: AI)?|Alibaba(?: Cloud)?|Qwen Team|DeepSeek|xAI|Microsoft|Cohere|Amazon|AI21(?: Labs)?|Moonshot(?: AI)?|Zhipu(?: AI)?|Baidu|Nvidia|IBM|Perplexity|Together AI)\b)"
    r"|(?:\b(?:I\s+am|I'm|I’m)\s+(?:an?\s+)?(?:OpenAI|Anthropic|Google(?: DeepMind)?|DeepMind|Meta(?: AI)?|Mistral(?: AI)?|Alibaba(?: Cloud)?|Qwen Team|DeepSeek|xAI|Microsoft|Cohere|Amazon|AI21(?: Labs)?|Moonshot(?: AI)?|Zhipu(?: AI)?|Baidu|Nvidia|IBM|Perplexity|Together AI)(?:[- ]\w+)?\s+(?:model|assistant|AI|language\s+model|chatbot)\b)",
    re.IGNORECASE,
)
_HEADER = re.compile(r'^\s{0,3}#{1,6}\s+\S', re.MULTILINE)
_LIST_ITEM = re.compile(r'^\s*(?:[-*+]|\d+[.)])\s+\S', re.MULTILINE)
_BOLD = re.compile(r'(\*\*|__)(?=\S)(.+?)(?<=\S)\1', re.DOTALL)


def _leaks_identity(text: str, names: list[str]) -> bool:
    """A self-reference, or a configured name or id (3+ characters) as a whole word."""
    if not text:
        return False
    if _LEAK_PATTERN.search(text):
        return True
    usable = sorted({n.strip() for n in names if len(n.strip()) >= 3}, key=len)
    if not usable:
        return False
    alternatives = "|".join(re.escape(n) for n in reversed(usable))
    own_name = re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)
    return bool(own_name.search(text))


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index('ix_vote_tier_agg')
        batch_op.drop_index(batch_op.f('ix_vote_run_id'))
        batch_op.drop_index(batch_op.f('ix_vote_prompt_id'))
        batch_op.drop_index('ix_vote_agg')
        batch_op.drop_column('identity_leak')
        batch_op.drop_column('fallback')
        batch_op.drop_column('run_id')
        batch_op.drop_column('tier')
        batch_op.drop_column('prompt_id')
        batch_op.drop_column('right_model_id')
        batch_op.drop_column('left_model_id')
        batch_op.drop_column('right_response_id')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('md_bold')
        batch_op.drop_column('md_list_items')
        batch_op.drop_column('md_headers')
        batch_op.drop_column('text_chars')
        batch_op.drop_column('identity_leak')

    # ### end Alembic commands ###
