"""Excluding a rater changes every output exactly as deleting their votes would.

The pair chooser, too, counts only the votes of counted raters.

On a SQLite file and on PostgreSQL, the golden fixture (4 raters, 1,985 votes) is copied
in; `rank` and `export` print the same bytes with a rater excluded as after deleting
that rater's votes, and including the rater again restores the original bytes.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from blindside.db import open_database
from blindside.pairing import DrawnPair, next_impression
from blindside.rater_quality import rater_quality, set_rater_excluded
from blindside.tables import Pair, Rater, Vote
from blindside.votes import record_vote
from tests.conftest import MODELS_TOML, SEED_PROMPTS, Cli, CommandResult, rater_id
from tests.integration.test_rater_quality import _world

# Each a leaderboard or export a lead reads; the last is a cut on the excluded rater alone.
COMMANDS = [
    "rank --format json",
    "rank --format json --tier 2 --ties davidson",
    "rank --format json --tier 3 --style --bootstrap 20",
    "rank --format json --rater Ada --rater Linus --exclude-flagged",
    "rank --format csv --suite creative",
    "export --tier 1",
    "export --format csv --rater Linus",
]
EXCLUDED = "Linus"


def _copy_golden(golden_db_url: str, target: Engine) -> None:
    """Every row of the (migrated) golden fixture into ``target``, ids kept."""
    source = open_database(golden_db_url)
    with source.connect() as src, target.begin() as dst:
        for table in SQLModel.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
        if target.dialect.name == "postgresql":
            # Tables keyed by an id sequence (gold_pair is keyed by its pair).
            for table in (t for t in SQLModel.metadata.sorted_tables if "id" in t.c):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
    source.dispose()


def _outputs(cli: Cli, db_url: str) -> list[CommandResult]:
    common = ["--db", db_url, "--config", str(MODELS_TOML), "--suites", str(SEED_PROMPTS)]
    return [cli(*command.split(), *common) for command in COMMANDS]


@pytest.fixture
def golden_engine(engine: Engine, golden_db_url: str) -> Engine:
    _copy_golden(golden_db_url, engine)
    return engine


def test_excluding_a_rater_is_deleting_their_votes(
    golden_engine: Engine, db_url: str, cli: Cli
) -> None:
    engine = golden_engine
    with engine.connect() as conn:
        rater_id = conn.execute(select(Rater.id).where(Rater.name == EXCLUDED)).scalar_one()
        votes = conn.execute(text("SELECT COUNT(*) FROM vote WHERE rater_id = :r"), {"r": rater_id})
        assert votes.scalar_one() > 0

    original = _outputs(cli, db_url)
    assert [o.returncode for o in original] == [0] * len(COMMANDS)

    set_rater_excluded(engine, rater_id, True)
    excluded = _outputs(cli, db_url)
    # The votes are kept, and the Raters page still shows the rater, marked excluded.
    with engine.connect() as conn:
        assert conn.execute(select(Vote.id).where(Vote.rater_id == rater_id)).first()
    row = next(r for r in rater_quality(engine).rows if r.name == EXCLUDED)
    assert row.excluded and row.figures.votes > 0

    set_rater_excluded(engine, rater_id, False)
    assert _outputs(cli, db_url) == original  # including them again restores every byte

    with engine.begin() as conn:
        conn.execute(delete(Vote).where(Vote.rater_id == rater_id))  # type: ignore[arg-type]
    deleted = _outputs(cli, db_url)

    assert excluded == deleted
    for before, after in zip(original[:-1], excluded[:-1], strict=True):
        assert before.stdout != after.stdout  # each output did change
    # Export of the excluded rater alone: nothing, as after deleting.
    assert excluded[-1].stdout.count("\n") <= 1


def test_the_raters_exclude_and_include_commands_do_what_the_raters_page_does(
    golden_engine: Engine, db_url: str, cli: Cli
) -> None:
    original = _outputs(cli, db_url)
    done = cli("raters", "exclude", "  linus ", "--db", db_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("excluded Linus: their votes count in no ranking")
    by_command = _outputs(cli, db_url)
    assert by_command != original

    done = cli("raters", "include", "LINUS", "--db", db_url)
    assert (done.returncode, done.stdout) == (0, "included Linus: their votes count again\n")
    assert _outputs(cli, db_url) == original

    # The Raters page's button calls the same function, by id: the same outputs.
    with golden_engine.connect() as conn:
        linus = conn.execute(select(Rater.id).where(Rater.name == EXCLUDED)).scalar_one()
    set_rater_excluded(golden_engine, linus, True)
    assert _outputs(cli, db_url) == by_command
    assert cli("raters", "exclude", "Linus", "--db", db_url).returncode == 0  # no change
    assert _outputs(cli, db_url) == by_command

    for command in ("exclude", "include"):
        done = cli("raters", command, "Nobody", "--db", db_url)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == "error: no rater named 'Nobody'\n"
    assert _outputs(cli, db_url) == by_command  # nothing changed


def test_exclusion_leaves_out_only_that_rater(golden_engine: Engine) -> None:
    with golden_engine.connect() as conn:
        ids = dict(conn.execute(select(Rater.name, Rater.id)).all())
    set_rater_excluded(golden_engine, ids["Ada"], True)
    report = rater_quality(golden_engine)
    assert {r.name: r.excluded for r in report.rows} == {
        "Ada": True,
        "Barbara": False,
        "Grace": False,
        "Linus": False,
    }
    # Alpha over the counted raters rests on fewer votes than over everyone.
    assert report.alpha.pairable < report.alpha_all.pairable
    with pytest.raises(ValueError, match="no rater"):
        set_rater_excluded(golden_engine, 10_000, True)


def test_excluded_votes_cover_no_pair_for_the_next_rater(engine: Engine) -> None:
    """Least-voted first counts counted raters only: an excluded rater's pair needs votes."""
    answers = _world(engine)
    with engine.connect() as conn:
        pairs = [(p.id, p.response_a_id, p.response_b_id) for p in conn.execute(select(Pair))]
    careless, careful, newcomer = (rater_id(engine, n) for n in ("careless", "careful", "new"))
    only_careless, *rest = pairs
    for pair_id, first, second in pairs:
        rater = careless if pair_id == only_careless[0] else careful
        assert record_vote(
            engine, rater, DrawnPair(pair_id, "", None, first, second, "", ""), "left"
        )
    assert len(answers) == 6 and len(rest) == 5

    set_rater_excluded(engine, careless, True)
    # Every pair has one vote, but only the careless rater's pair has no counted vote.
    for seed in range(5):
        shown = next_impression(engine, newcomer, rng=random.Random(seed))
        assert shown is not None and shown.pair_id == only_careless[0]
