"""Golden outputs: `rank`, `scores` and `export` on a fixed database stay byte-identical.

The fixture (``tests/golden/fixture.sql.gz``) is an SQL dump of a database made once with
`blindside init --demo` and 1,985 seeded votes by four raters; ``tests/golden/README.md``
says how. Each case runs the real command in process on a restored copy and compares its
standard output with the stored file: every character the same, except that a number
printed at full float precision (six or more decimals, as ``6.593836533249119``) may differ
in its last digits (relative 1e-9), as one fit's floating-point sums do between machines
(BLAS and CPU). A change that alters any of these outputs must regenerate them on purpose
(``BLINDSIDE_REGENERATE_GOLDEN=1``) and show the diff in review.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import insert

from blindside.cli import main
from blindside.db import open_database
from blindside.tables import ExportKey
from tests.conftest import MODELS_TOML, SEED_PROMPTS

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
GOLDEN_EXPORT_KEY = "00" * 32
# A float literal with 6 or more decimals: printed at full precision, machine noise at the end.
FULL_PRECISION = re.compile(rb"-?\d+\.\d{6,}(?:[eE][-+]?\d+)?")

CASES = {
    name: argv.split()
    for name, argv in {
        "rank_all.json": "rank --format json",
        "rank_tier1.json": "rank --format json --tier 1",
        "rank_tier2_davidson.json": "rank --format json --tier 2 --ties davidson",
        "rank_tier3_style.json": "rank --format json --tier 3 --style",
        "rank_bootstrap.json": "rank --format json --bootstrap 50",
        "rank_cut.json": "rank --format json --rater Ada --rater Grace"
        " --since 2026-11-05 --until 2026-11-20 --exclude-flagged",
        "rank_creative.csv": "rank --format csv --suite creative",
        "rank_tier1.txt": "rank --format table --tier 1",
        "scores_all.json": "scores --format json",
        "scores_tier1.json": "scores --format json --tier 1",
        "scores_high_volume.csv": "scores --format csv --suite high_volume",
        "scores_all.txt": "scores",
        "export_tier1_barbara.jsonl": "export --tier 1 --rater Barbara --until 2026-11-12",
        "export_tier2_linus.csv": "export --format csv --tier 2 --rater Linus",
    }.items()
}


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("golden") / "fixed.db"
    with gzip.open(GOLDEN / "fixture.sql.gz", "rt", encoding="utf-8") as dump:
        script = dump.read()
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()
    # Exports name raters by a keyed hash whose key a database makes at random on its first
    # export: pin one, so the pseudonyms in the golden exports are the same on every run.
    url = f"sqlite:///{path}"
    engine = open_database(url)
    with engine.begin() as db:
        db.execute(insert(ExportKey).values(id=1, key=GOLDEN_EXPORT_KEY))
    engine.dispose()
    return url


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_byte_identical(
    name: str, fixed_db: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    argv = [*CASES[name], "--db", fixed_db, "--config", str(MODELS_TOML)]
    argv += ["--suites", str(SEED_PROMPTS)]
    assert main(argv) == 0
    out = capsysbinary.readouterr().out
    golden = GOLDEN / name
    if os.environ.get("BLINDSIDE_REGENERATE_GOLDEN"):
        golden.write_bytes(out)
    assert out, "the command printed nothing"
    assert_same_output(out, golden.read_bytes())


def assert_same_output(out: bytes, golden: bytes) -> None:
    """``out`` is ``golden``, full-precision floats allowed their last digits (see above)."""
    if out == golden:
        return
    assert FULL_PRECISION.split(out) == FULL_PRECISION.split(golden), "outputs differ"
    for got, want in zip(FULL_PRECISION.findall(out), FULL_PRECISION.findall(golden), strict=True):
        assert math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12), (got, want)


def test_the_comparison_allows_float_noise_only() -> None:
    assert_same_output(b'{"coef": 6.5938365332491085}', b'{"coef": 6.593836533249119}')
    for other in (b'{"coef": 6.59384}', b'{"coef": 6.6938365332491085}', b'{"coeff": 6.5}'):
        with pytest.raises(AssertionError):
            assert_same_output(other, b'{"coef": 6.593836533249119}')
