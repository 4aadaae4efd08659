"""Cuts, aggregation and the rank command on a real SQLite file and a real PostgreSQL server.

Every expected count is computed in Python from the list of votes the test
casts (the specification), never read back from the database under test.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from blindside.aggregate import aggregate
from blindside.cuts import Cut
from blindside.db import alembic_config, create_db_engine, schema_drift, upgrade_schema
from blindside.identity import flag_identity_leaks
from blindside.leaderboard.board import RankOptions, build_leaderboard, fit_counts
from blindside.pairing import DrawnPair
from blindside.tables import Model, Pair, Prompt, Rater, Response, Run, Suite, Vote
from blindside.votes import record_vote
from tests.conftest import Cli
from tests.processes import blindside

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    """One vote as the test casts it, with every fact a cut can look at."""

    rater: str
    prompt: str
    left: str
    right: str
    choice: str
    flagged: bool = False
    day: int = 0


# prompt -> (suite, tier, category, gold)
PROMPTS = {
    "p1": ("s1", 1, "law", False),
    "p2": ("s1", 2, "email", False),
    "p3": ("s1", 2, "email", True),
    "p4": ("s2", 3, "summary", False),
}
MODELS = ("A", "B", "C")
# (prompt, model) answers that break blinding or were served by a fallback.
LEAKING = {("p2", "C")}
FALLBACK = {("p4", "B")}


def _texts(prompt: str, model: str) -> str:
    if (prompt, model) in LEAKING:
        return "I'm Claude, an AI assistant made by Anthropic. Here is the email."
    return f"An answer to {prompt}.\n\n- point one\n- point two\n\n**done**"


def _world(engine: Engine) -> dict[str, dict]:
    """Suites, prompts, models, one run per suite, answers and every pair; returns ids."""
    with Session(engine, expire_on_commit=False) as s:
        suites = {name: Suite(name=name) for name in ("s1", "s2")}
        s.add_all(suites.values())
        s.flush()
        prompts = {}
        for ext, (suite, tier, category, gold) in PROMPTS.items():
            prompts[ext] = Prompt(
                suite_id=suites[suite].id,
                external_id=ext,
                tier=tier,
                category=category,
                text=f"question {ext}",
                messages=[{"role": "user", "content": ext}],
                meta={"gold": True} if gold else {},
            )
        models = {m: Model(name=m, endpoint="e", model_id=f"id-{m.lower()}") for m in MODELS}
        s.add_all([*prompts.values(), *models.values()])
        s.flush()
        runs = {name: Run(suite_id=suites[name].id, config_hash=name) for name in suites}
        s.add_all(runs.values())
        s.flush()
        responses = {}
        for ext, (suite, *_rest) in PROMPTS.items():
            for m in MODELS:
                responses[(ext, m)] = Response(
                    run_id=runs[suite].id,
                    prompt_id=prompts[ext].id,
                    model_id=models[m].id,
                    text=_texts(ext, m),
                    is_fallback=(ext, m) in FALLBACK,
                    latency_ms=100.0,
                    cost_usd=0.001 * (1 + MODELS.index(m)),
                )
        s.add_all(responses.values())
        s.flush()
        pairs = {}
        for ext in PROMPTS:
            for i, a in enumerate(MODELS):
                for b in MODELS[i + 1 :]:
                    ra, rb = responses[(ext, a)], responses[(ext, b)]
                    first, second = sorted([ra, rb], key=lambda r: r.id)
                    pair = Pair(
                        prompt_id=prompts[ext].id,
                        response_a_id=first.id,
                        response_b_id=second.id,
                    )
                    pairs[frozenset((ext, a, b))] = pair
        s.add_all(pairs.values())
        s.commit()
        return {
            "prompt": {k: v.id for k, v in prompts.items()},
            "model": {k: v.id for k, v in models.items()},
            "run": {k: v.id for k, v in runs.items()},
            "response": {k: v.id for k, v in responses.items()},
            "pair": {k: v.id for k, v in pairs.items()},
        }


def _cast(engine: Engine, ids: dict[str, dict], specs: list[Spec]) -> None:
    raters: dict[str, int] = {}
    with Session(engine) as s:
        for name in sorted({sp.rater for sp in specs}):
            rater = Rater(name=name, name_key=name.casefold())
            s.add(rater)
            s.flush()
            raters[name] = rater.id  # type: ignore[assignment]
        s.commit()
    for sp in specs:
        left = ids["response"][(sp.prompt, sp.left)]
        right = ids["response"][(sp.prompt, sp.right)]
        imp = DrawnPair(
            ids["pair"][frozenset((sp.prompt, sp.left, sp.right))], "", None, left, right, "", ""
        )
        assert record_vote(engine, raters[sp.rater], imp, sp.choice, flagged=sp.flagged)
        with engine.begin() as conn:
            conn.execute(
                update(Vote)
                .where(Vote.pair_id == imp.pair_id, Vote.rater_id == raters[sp.rater])
                .values(created_at=T0 + timedelta(days=sp.day))
            )


def _specs() -> list[Spec]:
    """Two raters vote on every pair, sides and choices drawn from a seeded generator."""
    rng = np.random.default_rng(7)
    out = []
    for day, (ext, rater) in enumerate((ext, rater) for ext in PROMPTS for rater in ("ann", "bob")):
        for i, a in enumerate(MODELS):
            for b in MODELS[i + 1 :]:
                left, right = (a, b) if rng.random() < 0.5 else (b, a)
                choice = str(
                    rng.choice(["left", "right", "tie", "both_bad"], p=[0.4, 0.3, 0.2, 0.1])
                )
                out.append(Spec(rater, ext, left, right, choice, bool(rng.random() < 0.25), day))
    return out


def _expected(specs: list[Spec], keep) -> Counter:  # type: ignore[no-untyped-def]
    """Votes per (left, right, outcome); rankings count "both bad" as a tie."""
    tie = {"both_bad": "tie"}
    return Counter((sp.left, sp.right, tie.get(sp.choice, sp.choice)) for sp in specs if keep(sp))


def _observed(engine: Engine, ids: dict[str, dict], cut: Cut) -> Counter:
    battles = aggregate(engine, cut)
    name_of = {v: k for k, v in ids["model"].items()}
    out: Counter = Counter()
    columns = {"left": battles.left_wins, "right": battles.right_wins, "tie": battles.ties}
    for k in range(battles.left.size):
        left = name_of[battles.labels[battles.left[k]]]
        right = name_of[battles.labels[battles.right[k]]]
        for choice, values in columns.items():
            if values[k]:
                out[(left, right, choice)] = int(values[k])
    return out


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, dict[str, dict], list[Spec]]:
    ids = _world(engine)
    assert flag_identity_leaks(engine).flagged == len(LEAKING)
    specs = _specs()
    _cast(engine, ids, specs)
    return engine, ids, specs


def test_every_cut_selects_exactly_its_votes(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, specs = world
    run_of = {ext: suite for ext, (suite, *_r) in PROMPTS.items()}
    cases = [
        (Cut(), lambda sp: True),
        (Cut(tier=2), lambda sp: PROMPTS[sp.prompt][1] == 2),
        (Cut(suite="s2"), lambda sp: PROMPTS[sp.prompt][0] == "s2"),
        (Cut(category="law"), lambda sp: PROMPTS[sp.prompt][2] == "law"),
        (Cut(run_id=ids["run"]["s1"]), lambda sp: run_of[sp.prompt] == "s1"),
        (Cut(raters=("bob",)), lambda sp: sp.rater == "bob"),
        (Cut(raters=(" ann ", "bob")), lambda sp: True),
        (Cut(since=T0 + timedelta(days=2)), lambda sp: sp.day >= 2),
        (Cut(until=T0 + timedelta(days=3)), lambda sp: sp.day < 3),
        (Cut(exclude_flagged=True), lambda sp: not sp.flagged),
        (Cut(exclude_gold=True), lambda sp: not PROMPTS[sp.prompt][3]),
        (
            Cut(exclude_identity_leaks=True),
            lambda sp: (sp.prompt, sp.left) not in LEAKING and (sp.prompt, sp.right) not in LEAKING,
        ),
        (
            Cut(exclude_fallbacks=True),
            lambda sp: (
                (sp.prompt, sp.left) not in FALLBACK and (sp.prompt, sp.right) not in FALLBACK
            ),
        ),
        (
            Cut(tier=2, raters=("ann",), exclude_gold=True, exclude_flagged=True),
            lambda sp: (
                PROMPTS[sp.prompt][1] == 2
                and sp.rater == "ann"
                and not PROMPTS[sp.prompt][3]
                and not sp.flagged
            ),
        ),
    ]
    for cut, keep in cases:
        expected = _expected(specs, keep)
        assert _observed(engine, ids, cut) == expected, cut.describe()
        # Every case except the first really removes votes: the cut is not a no-op.
        if cut != Cut() and cut.raters != ("ann", "bob"):
            assert sum(expected.values()) < len(specs), cut.describe()


def test_a_rater_excluded_changes_the_leaderboard(world) -> None:  # type: ignore[no-untyped-def]
    engine, _ids, specs = world
    everyone = build_leaderboard(engine, Cut())
    only_ann = build_leaderboard(engine, Cut(raters=("ann",)))
    assert everyone.total_votes == len(specs)
    assert only_ann.total_votes == sum(sp.rater == "ann" for sp in specs)
    # Few votes per model here, so compare what both boards show: votes and win rates
    # (ratings under MIN_VOTES votes are withheld).
    shown = {r.name: (r.votes, r.win_rate) for r in everyone.rows}
    assert any(shown[r.name] != (r.votes, r.win_rate) for r in only_ann.rows)
    assert only_ann.cut.describe() == "raters ann"


def test_no_votes_in_a_cut_is_a_clear_result_not_a_crash(world) -> None:  # type: ignore[no-untyped-def]
    engine, _ids, _specs = world
    board = build_leaderboard(engine, Cut(raters=("nobody",)))
    assert board.total_votes == 0
    assert all(r.rank is None and r.rating is None for r in board.rows)
    assert {r.name for r in board.rows} == set(MODELS)  # measured stats still listed
    with pytest.raises(ValueError, match="no votes in this selection"):
        fit_counts(aggregate(engine, Cut(raters=("nobody",))), RankOptions())


def test_identity_flags_reach_votes_cast_before_the_check(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, specs = world
    # A new pattern run later (here: the text changes) must update votes already cast.
    with engine.begin() as conn:
        conn.execute(
            update(Response)
            .where(Response.id == ids["response"][("p1", "A")])
            .values(text="As an AI language model developed by OpenAI, I think...")
        )
    assert flag_identity_leaks(engine, ids["run"]["s1"]).flagged == 2
    leaky = LEAKING | {("p1", "A")}
    expected = _expected(
        specs,
        lambda sp: (sp.prompt, sp.left) not in leaky and (sp.prompt, sp.right) not in leaky,
    )
    assert _observed(engine, ids, Cut(exclude_identity_leaks=True)) == expected


def test_hand_checked_three_models(engine: Engine) -> None:
    """A beats B 4-2, A beats C 5-1, B beats C 4-2: win rates .75 / .50 / .25, order A B C."""
    ids = _world(engine)
    games = [("A", "B", 4, 2), ("A", "C", 5, 1), ("B", "C", 4, 2)]
    specs = []
    for a, b, a_wins, b_wins in games:
        for k in range(a_wins + b_wins):
            # Alternate sides; the winner is a for the first a_wins votes.
            left, right = (a, b) if k % 2 == 0 else (b, a)
            winner = a if k < a_wins else b
            specs.append(Spec(f"r{k}", "p1", left, right, "left" if winner == left else "right"))
    _cast(engine, ids, specs)
    battles = aggregate(engine, Cut())
    assert battles.total == 18
    name_of = {v: k for k, v in ids["model"].items()}
    names = [name_of[m] for m in battles.labels]
    wins = battles.wins()
    i = {n: names.index(n) for n in names}
    assert wins[i["A"], i["B"]] == 4 and wins[i["B"], i["A"]] == 2
    assert wins[i["A"], i["C"]] == 5 and wins[i["C"], i["A"]] == 1
    assert wins[i["B"], i["C"]] == 4 and wins[i["C"], i["B"]] == 2
    assert (wins + wins.T)[i["A"], i["B"]] == 6
    board = build_leaderboard(engine, Cut(tier=1))
    rated = [r for r in board.rows if r.rank is not None]
    assert [r.name for r in rated] == ["A", "B", "C"]
    assert [r.votes for r in rated] == [12, 12, 12]
    assert [r.win_rate for r in rated] == pytest.approx([0.75, 0.5, 0.25])
    for r in rated:
        assert r.rating_low < r.rating < r.rating_high
        assert 1 <= r.rank_best <= r.rank <= r.rank_worst <= 3
    assert board.left_advantage_elo is not None  # position is known, so it is fitted
    # Every model here has 12 votes: fewer than 20, and the board says so.
    assert board.few_vote_models == ["A", "B", "C"]
    assert any("Fewer than 20 votes" in w for w in board.warnings)
    # Tier 2 has no votes at all.
    assert build_leaderboard(engine, Cut(tier=2)).total_votes == 0


def test_style_cells_carry_left_minus_right_features(world) -> None:  # type: ignore[no-untyped-def]
    engine, _ids, specs = world
    cells = aggregate(engine, Cut(tier=2), by_response=True)
    assert cells.total == sum(PROMPTS[sp.prompt][1] == 2 for sp in specs)
    assert cells.style is not None and cells.style.shape == (cells.left.size, 4)
    # Every answer has two list items except the leaking one, which has none: its cells
    # differ by (0 - 2) / (0 + 2 + 1) on the left and by the opposite on the right.
    leak_cells = {
        (sp.prompt, sp.left, sp.right)
        for sp in specs
        if PROMPTS[sp.prompt][1] == 2 and {(sp.prompt, sp.left), (sp.prompt, sp.right)} & LEAKING
    }
    expected = sorted(-2 / 3 if (p, left) in LEAKING else 2 / 3 for p, left, _ in leak_cells)
    observed = sorted(v for v in cells.style[:, 2] if v != 0)
    assert observed == pytest.approx(expected) and expected
    # Here every feature only says "the leaking answer is involved": collinear, so the
    # board falls back to plain ratings and says why instead of failing.
    board = build_leaderboard(engine, Cut(tier=2), RankOptions(style=True))
    assert board.style_coef is None
    assert any(w.startswith("Style control could not be fitted") for w in board.warnings)
    assert [r.rating for r in board.rows] == [
        r.rating for r in build_leaderboard(engine, Cut(tier=2)).rows
    ]


def test_migration_backfills_votes_and_flags(db_url: str) -> None:
    """A database from before 0003, with a vote, gets the copied columns and the leak flag."""
    from alembic import command

    engine = create_db_engine(db_url)
    command.upgrade(alembic_config(engine), "0002")
    stmts = [
        "INSERT INTO suite (name, description, source_path, content_hash, loaded_at) "
        "VALUES ('s', '', '', '', CURRENT_TIMESTAMP)",
        "INSERT INTO prompt (suite_id, external_id, tier, category, text, messages, meta) "
        "VALUES (1, 'p', 3, 'c', 'q', '[]', '{}')",
        "INSERT INTO model (name, endpoint, model_id, simulated, active, params, pricing, "
        "fallbacks, registered_at) VALUES ('Alpha', 'e', 'alpha-1', false, true, '{}', '{}', "
        "'[]', CURRENT_TIMESTAMP)",
        "INSERT INTO model (name, endpoint, model_id, simulated, active, params, pricing, "
        "fallbacks, registered_at) VALUES ('Beta', 'e', 'beta-1', false, true, '{}', '{}', "
        "'[]', CURRENT_TIMESTAMP)",
        "INSERT INTO run (suite_id, started_at, status, samples_per_prompt, config_hash, "
        "model_names) VALUES (1, CURRENT_TIMESTAMP, 'finished', 1, 'h', '[]')",
        "INSERT INTO response (run_id, prompt_id, model_id, sample, text, attempts, created_at, "
        "tokens_estimated, retry_wait_ms, is_fallback) VALUES (1, 1, 1, 0, 'Alpha here: yes', "
        "1, CURRENT_TIMESTAMP, false, 0, false)",
        "INSERT INTO response (run_id, prompt_id, model_id, sample, text, attempts, created_at, "
        "tokens_estimated, retry_wait_ms, is_fallback) VALUES (1, 1, 2, 0, :markdown, 1, "
        "CURRENT_TIMESTAMP, false, 0, true)",
        "INSERT INTO pair (prompt_id, response_a_id, response_b_id, created_at) "
        "VALUES (1, 1, 2, CURRENT_TIMESTAMP)",
        "INSERT INTO rater (name, role, created_at) VALUES ('ann', 'rater', CURRENT_TIMESTAMP)",
        "INSERT INTO vote (pair_id, rater_id, left_response_id, choice, flagged, created_at) "
        "VALUES (1, 1, 2, 'left', false, CURRENT_TIMESTAMP)",
    ]
    with engine.begin() as conn:
        for stmt in stmts:
            conn.execute(text(stmt), {"markdown": "# No\n- a"} if ":markdown" in stmt else {})
    upgrade_schema(engine)
    assert schema_drift(engine) == []
    with Session(engine) as s:
        vote = s.exec(select(Vote)).one()
        alpha, beta = s.exec(select(Response).order_by(Response.id)).all()
    assert (vote.right_response_id, vote.left_model_id, vote.right_model_id) == (1, 2, 1)
    assert (vote.prompt_id, vote.tier, vote.run_id) == (1, 3, 1)
    assert vote.fallback and vote.identity_leak
    assert alpha.identity_leak and not beta.identity_leak
    assert (beta.text_chars, beta.md_headers, beta.md_list_items) == (len("# No\n- a"), 1, 1)
    battles = aggregate(engine, Cut(tier=3))
    assert battles.total == 1 and int(battles.left_wins.sum()) == 1
    assert aggregate(engine, Cut(exclude_fallbacks=True)).total == 0
    engine.dispose()


# --------------------------------------------------------------------------- #
# The rank command, end to end
# --------------------------------------------------------------------------- #


def test_rank_votes_file_as_json(tmp_path: Path) -> None:
    """The ranking commands' real-process test: `blindside rank` as a user runs it."""
    battles = (
        [{"model_a": "alpha", "model_b": "beta", "winner": "model_a"}] * 30
        + [{"model_a": "beta", "model_b": "alpha", "winner": "model_a"}] * 10
        + [{"model_a": "beta", "model_b": "gamma", "winner": "model_a"}] * 25
        + [{"model_a": "gamma", "model_b": "beta", "winner": "tie (bothbad)"}] * 5
        + [{"model_a": "alpha", "model_b": "gamma", "winner": "tie"}] * 4
        + [{"model_a": "gamma", "model_b": "alpha", "winner": "model_b"}] * 16
        + [{"model_a": "gamma", "model_b": "beta", "winner": "model_a"}] * 5
    )
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in battles) + "\n")
    done = blindside("rank", "--votes", str(path), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["votes"] == len(battles)
    assert [m["model"] for m in out["models"]] == ["alpha", "beta", "gamma"]
    assert [m["votes"] for m in out["models"]] == [60, 75, 55]
    for m in out["models"]:
        assert m["ci_low"] < m["rating"] < m["ci_high"]
    assert "sandwich" in out["intervals"]
    # No position in an arena file: no left-side advantage is claimed.
    assert out["left_advantage_elo"]["estimate"] is None
    boot = blindside(
        "rank", "--votes", str(path), "--bootstrap", "50", "--format", "csv", cwd=tmp_path
    )
    assert boot.returncode == 0, boot.stderr
    assert boot.stdout.splitlines()[0].startswith("rank,rank_best,rank_worst,model")


def test_rank_bad_votes_file_names_the_line(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"model_a": "a", "model_b": "b", "winner": "model_a"}\n'
        '{"model_a": "a", "model_b": "b", "winner": "draw"}\n'
    )
    done = cli("rank", "--votes", str(path))
    assert done.returncode == 2
    assert f"{path}:2: field 'winner'" in done.stderr


def test_rank_with_no_votes_exits_1_with_a_message(tmp_path: Path, cli: Cli) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    done = cli("rank", "--db", db, "--tier", "2", "--exclude-flagged")
    assert done.returncode == 1
    assert "no votes yet in this selection (tier 2; excluding flagged votes)" in done.stderr
    # An empty votes file is bad input, not an empty selection.
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    done = cli("rank", "--votes", str(empty))
    assert done.returncode == 2 and "no votes in this file" in done.stderr
    assert cli("rank", "--db", db, "--since", "yesterday").returncode == 2
