"""Coverage of the 95% intervals on degenerate vote files, and why each rule was chosen.

The four cases of issue 10 (disconnected, never-loses, all-ties, one vote) are
drawn from a known truth by ``tests/unit/ranking/degenerate.py`` (only draws that
came out degenerate are kept). For each, prints the share of (draw, model)
intervals that hold the truth and the share reported unavailable:

- ``reported``: what :func:`blindside.ranking.rank_battles` reports now (sandwich
  asked for; the fit switches as ``docs/statistics.md`` says);
- ``sandwich (old)`` and ``bootstrap (old)``: the intervals it used to report,
  centred over the whole field, fallback prior in place;
- ``fisher``: the inverse Fisher information of the same fit, centred over the
  whole field; ``fisher, half ties``: the same with ties as half wins (for all-ties
  files, the only model whose information stays finite).

The truth is each model's Elo relative to the average of its component of the
comparison graph (the whole field when connected).

Run::

    .venv/bin/python benchmarks/bench_degenerate.py [--draws 1000]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from blindside.ranking import ELO_SCALE, Battles, Ranking, rank_battles
from blindside.ranking.bootstrap import poisson_bootstrap
from blindside.ranking.graph import effective_prior
from blindside.ranking.intervals import covariance, display_contrast
from blindside.ranking.joint import JointModel
from tests.unit.ranking.degenerate import CASES, Case, Coverage, coverage

# Every vote a tie, many votes, raters who nearly always tie: a half-ties Fisher
# interval is narrow here, and the truth (+-0.5 log-odds) lies outside it.
MANY_TIES = Case(
    "all-ties, 200 votes, nu = 1000",
    np.array([0.5, 0.0, -0.5]),
    lambda rng: _many_ties(rng),
    tie_model="davidson",
)


def _many_ties(rng: np.random.Generator) -> Battles | None:
    from tests.unit.ranking.degenerate import battles_of, draw_votes, random_pairs

    pairs = random_pairs(np.arange(3), 200, rng)
    outcomes = draw_votes(MANY_TIES.theta, pairs, rng, nu=1000.0)
    if outcomes[0].any() or outcomes[1].any():
        return None
    return battles_of(3, pairs, outcomes)


def old_fit(method: str, *, half: bool = False):
    """The intervals before issue 10: whole-field centring, no switch, fallback prior kept."""

    def fit(battles: Battles, tie_model: str) -> tuple[Ranking, list[str]]:
        n = battles.n_items
        counts = np.stack([battles.left_wins, battles.right_wins, battles.ties])
        w = battles.wins()
        davidson = tie_model == "davidson" and not half and counts[2].sum() > 0
        model = JointModel(
            n,
            battles.left,
            battles.right,
            counts[:, :, None],
            np.zeros((battles.left.size, 0)),
            davidson=davidson,
            prior=np.array([effective_prior(w, 0.0)]),
        )
        x = model.fit(np.zeros((1, model.m)), tol=1e-10)[0]
        contrast = display_contrast(n, model.m, None)
        if method == "bootstrap":
            samples = poisson_bootstrap(model, x, 400, 0, fallback=True, tol=1e-6) @ contrast.T
            low, high = np.quantile(samples, [0.025, 0.975], axis=0)
        else:
            cov = covariance(model, x, sandwich=method == "sandwich")
            se = np.sqrt(np.maximum(np.einsum("im,mk,ik->i", contrast, cov, contrast), 0))
            low, high = contrast @ x - 1.96 * se, contrast @ x + 1.96 * se
        elo = 1000 + ELO_SCALE * (contrast @ x)
        ranking = rank_battles(battles, intervals="none")
        # The old truth: the whole field's average (it claimed comparability).
        whole = [list(range(n))]
        fake = Ranking(**{**ranking.__dict__, "components": whole})
        object.__setattr__(fake, "elo_low", elo + ELO_SCALE * (low - contrast @ x))
        object.__setattr__(fake, "elo_high", elo + ELO_SCALE * (high - contrast @ x))
        return fake, []

    return fit


def _cell(c: Coverage) -> str:
    total = c.covered + c.missed + c.unavailable
    if c.covered + c.missed == 0:
        return f"unavailable ({c.unavailable}/{total})"
    extra = f", {c.unavailable / total:.0%} unavailable" if c.unavailable else ""
    return f"{c.rate:6.1%} (±{c.median_half_width:,.0f} Elo){extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    fits = {
        "reported": None,
        "sandwich (old)": old_fit("sandwich"),
        "bootstrap (old)": old_fit("bootstrap"),
        "fisher": old_fit("fisher"),
        "fisher, half ties": old_fit("fisher", half=True),
    }
    print(
        f"{args.draws} degenerate draws per case; 95% intervals: share holding the truth "
        "(median half-width)"
    )
    for case in (*CASES, MANY_TIES):
        draws = args.draws if case is not MANY_TIES else max(20, args.draws // 10)
        print(f"\n{case.name}")
        for name, fit in fits.items():
            if name == "fisher, half ties" and case.tie_model != "davidson":
                continue
            result = coverage(case, draws, seed=11, fit=fit)
            methods = ", ".join(sorted(result.methods)) if name == "reported" else ""
            print(f"  {name:<18} {_cell(result):<40} {methods}")


if __name__ == "__main__":
    main()
