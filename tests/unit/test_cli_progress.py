"""The commands' progress bar: drawn on stderr, its line ended however the run ends."""

from __future__ import annotations

import sys

import pytest

from blindside.cli.output import progress_bar
from blindside.engine.run import Progress


def test_the_bar_line_is_ended_after_a_result(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("generate s") as on_progress:
        on_progress(Progress(total=4, done=4, errors=1, cost_usd=0.5))
    err = capsys.readouterr().err
    assert err.startswith("\rgenerate s [") and "4/4" in err and "errors 1" in err
    assert "$0.5000" in err and err.endswith("\n") and err.count("\n") == 1


def test_the_bar_line_is_ended_after_what_the_block_printed_on_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(RuntimeError), progress_bar("rebench s") as on_progress:
        on_progress(Progress(total=2, done=2))
        print("error: stopped", file=sys.stderr)
        raise RuntimeError
    assert capsys.readouterr().err.endswith("error: stopped\n\n")


def test_no_bar_no_line(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("judge s"):
        pass
    assert capsys.readouterr().err == ""
