"""Register prompt suites and models in the database (idempotent).

Validation happens before this module is called (:mod:`blindside.suites`,
:mod:`blindside.config`), so a bad file never leaves half a suite behind:
each sync runs in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import select

from blindside.config import ModelConfig
from blindside.db import session_scope
from blindside.scorecard import rescore_answers
from blindside.suites import PromptSpec, SuiteSpec
from blindside.tables import Model, Prompt, Suite


@dataclass(frozen=True)
class SyncReport:
    """What a sync changed: counts of created, updated and unchanged rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _update(row: object, fields: dict[str, object]) -> bool:
    """Set ``fields`` on ``row``; True when any value changed."""
    changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    return bool(changed)


def prompt_fields(spec: PromptSpec) -> dict[str, object]:
    """The columns of a ``prompt`` row (all but its suite and id) for a validated prompt."""
    return {
        "tier": spec.tier,
        "category": spec.category,
        "system": spec.system,
        "text": spec.display_text,
        "messages": spec.chat_messages(),
        "reference": spec.reference,
        "scorer": spec.scorer,
        "tools": spec.tools,
        "meta": dict(spec.meta),
    }


def suite_content_hash(spec: SuiteSpec) -> str:
    """Stable hash of a suite's prompts, to skip unchanged suites quickly."""
    payload = [{"id": p.external_id, **prompt_fields(p)} for p in spec.prompts]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def sync_suites(engine: Engine, suites: Sequence[SuiteSpec]) -> SyncReport:
    """Insert or update suites and their prompts, keyed on suite name and prompt id.

    Prompts dropped from a file are kept: answers and votes may refer to them.
    """
    created = updated = unchanged = 0
    with session_scope(engine) as session:
        for spec in suites:
            digest = suite_content_hash(spec)
            suite = session.exec(select(Suite).where(Suite.name == spec.name)).first()
            if suite is not None and suite.content_hash == digest:
                unchanged += len(spec.prompts)
                continue
            if suite is None:
                suite = Suite(name=spec.name, source_path=str(spec.path))
                session.add(suite)
                session.flush()
            suite.content_hash = digest
            suite.source_path = str(spec.path)
            existing = {
                p.external_id: p
                for p in session.exec(select(Prompt).where(Prompt.suite_id == suite.id))
            }
            rescore: set[int] = set()
            for prompt_spec in spec.prompts:
                fields = prompt_fields(prompt_spec)
                row = existing.get(prompt_spec.external_id)
                if row is None:
                    session.add(
                        Prompt(suite_id=suite.id, external_id=prompt_spec.external_id, **fields)
                    )
                    created += 1
                    continue
                scoring_changed = (row.reference, row.scorer) != (
                    fields["reference"],
                    fields["scorer"],
                )
                if _update(row, fields):
                    updated += 1
                    if scoring_changed:
                        rescore.add(row.id)  # type: ignore[arg-type]
                else:
                    unchanged += 1
            if rescore:
                # A corrected reference or scorer applies to the answers already stored.
                session.flush()
                rescore_answers(session, rescore)
    return SyncReport(created, updated, unchanged)


def _model_fields(model: ModelConfig) -> dict[str, object]:
    # Only what a lead may see: never an API key, not even its variable's value.
    return {
        "endpoint": model.endpoint.name,
        "model_id": model.model_id,
        "simulated": model.simulated,
        "active": model.active,
        "params": dict(model.params),
        "pricing": model.pricing.record(),
        "fallbacks": list(model.fallbacks),
    }


def sync_models(engine: Engine, models: Sequence[ModelConfig]) -> SyncReport:
    """Insert or update models by name; models no longer configured become inactive."""
    created = updated = unchanged = 0
    configured = {m.name for m in models}
    with session_scope(engine) as session:
        rows = {m.name: m for m in session.exec(select(Model))}
        for model in models:
            fields = _model_fields(model)
            row = rows.get(model.name)
            if row is None:
                session.add(Model(name=model.name, **fields))
                created += 1
            elif _update(row, fields):
                updated += 1
            else:
                unchanged += 1
        for name, row in rows.items():
            if name not in configured and row.active:
                row.active = False
                updated += 1
    return SyncReport(created, updated, unchanged)
