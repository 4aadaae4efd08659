"""The demo provider's prompt cache: the first request with a prefix writes it, later ones read it.

Providers cache a prompt's prefix in fixed-size blocks: a request whose leading blocks
match an earlier request's to the same model reads them from the cache
(``cached_tokens``); the blocks it adds are written (``cache_write_tokens``, which
Anthropic-style caching bills above plain input). The demo does the same over its own
token count (:func:`~blindside.demo.planning.count_prompt_tokens`): each message is
4 tokens of role and separator, then its content in 4-character tokens. Profiles
without ``supports_caching`` report neither.

Concurrent first requests all miss, as on a real provider: the cache is written when a
request is planned, not when its answer ends.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from blindside.client.tokens import CHARS_PER_TOKEN
from blindside.demo.knowledge import message_text
from blindside.demo.planning import DemoCompletion
from blindside.demo.profiles import DemoProfile

__all__ = ["CACHE_BLOCK_TOKENS", "PromptCache", "prefix_blocks"]

#: Tokens per cache block: only whole blocks are cached.
CACHE_BLOCK_TOKENS = 64
_ROLE_TOKENS = 4  # per message, as in planning.count_prompt_tokens
#: Blocks remembered before the cache is emptied (a long-running serve-demo stays bounded).
_MAX_BLOCKS = 2_000_000


def prefix_blocks(messages: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """A digest of the prompt up to the end of each whole block, in order.

    Two requests share their first ``k`` digests exactly when their first ``k``
    blocks of tokens are the same.
    """
    digest = hashlib.sha256()
    blocks: list[bytes] = []
    tokens = 0

    def token(piece: str) -> None:
        nonlocal tokens
        digest.update(piece.encode("utf-8", "surrogatepass") + b"\x00")
        tokens += 1
        if tokens % CACHE_BLOCK_TOKENS == 0:
            blocks.append(digest.copy().digest())

    for message in messages:
        role = str(message.get("role"))
        for i in range(_ROLE_TOKENS):
            token(f"<|{role}|{i}>")
        text = message_text(message.get("content"))
        for start in range(0, len(text), CHARS_PER_TOKEN):
            token(text[start : start + CHARS_PER_TOKEN])
    return blocks


class PromptCache:
    """The prefixes each simulated model has seen, by block digest (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, set[bytes]] = {}
        self._size = 0

    def account(
        self, profile: DemoProfile, messages: Sequence[Mapping[str, Any]], plan: DemoCompletion
    ) -> DemoCompletion:
        """``plan`` with the cache reads and writes of this request; records its prefix.

        Parameters
        ----------
        profile : DemoProfile
            The model asked; without ``supports_caching`` the plan is returned as is.
        messages : sequence of mapping
            The request's messages.
        plan : DemoCompletion
            The planned completion (its ``prompt_tokens`` bound both counts).

        Returns
        -------
        DemoCompletion
            With ``cached_tokens`` (the leading blocks seen before) and
            ``cache_write_tokens`` (the whole blocks after them).
        """
        if not profile.supports_caching:
            return plan
        blocks = prefix_blocks(messages)
        with self._lock:
            if self._size > _MAX_BLOCKS:
                self._seen.clear()
                self._size = 0
            seen = self._seen.setdefault(profile.model_id, set())
            hits = 0
            while hits < len(blocks) and blocks[hits] in seen:
                hits += 1
            new = blocks[hits:]
            seen.update(new)
            self._size += len(new)
        cached = min(hits * CACHE_BLOCK_TOKENS, plan.prompt_tokens)
        written = min(len(blocks) * CACHE_BLOCK_TOKENS, plan.prompt_tokens) - cached
        return replace(plan, cached_tokens=cached, cache_write_tokens=written)
