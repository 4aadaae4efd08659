"""``rank_battles``: from battles to a leaderboard with intervals and rank ranges.

It checks the options, fits the joint model by Newton, computes sandwich,
Fisher or Poisson-bootstrap intervals and summarises everything per model in
a :class:`Ranking` (see ``docs/statistics.md``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtri
from threadpoolctl import threadpool_limits

from blindside.ranking.battles import Battles, win_matrix
from blindside.ranking.bootstrap import poisson_bootstrap
from blindside.ranking.elo import ELO_SCALE, davidson_expected_score, to_elo
from blindside.ranking.graph import comparison_components, effective_prior, mle_exists_within
from blindside.ranking.intervals import (
    covariance,
    display_contrast,
    percentile_intervals,
    rank_ranges,
    rank_within,
)
from blindside.ranking.joint import JointModel, design_matrix, identified

_INTERVALS = ("sandwich", "bootstrap", "fisher", "none")


class ThinDataWarning(RuntimeWarning):
    """The votes cannot support what was asked: the intervals or ranks say less.

    Issued by :func:`rank_battles` when the comparison graph is disconnected,
    when some model won or lost all its games (intervals become the inverse
    Fisher information of the penalised fit), when every vote is a tie
    (intervals unavailable) or when a model has nothing to be compared with.
    Callers that name the models themselves (the leaderboard) may catch it.
    """


_TIE_MODELS = ("half", "davidson")


@dataclass(frozen=True, eq=False)  # eq=False: array fields make == ambiguous
class Ranking:
    """A fitted leaderboard; every per-model array has one entry per model.

    Attributes
    ----------
    theta : numpy.ndarray
        Log-strengths of the joint model (with style control: net of style),
        mean 0.
    elo : numpy.ndarray
        ``to_elo(theta, base=base, anchor=anchor)``.
    elo_low, elo_high : numpy.ndarray
        Interval of ``elo`` at the requested level (nan without intervals, or
        where none is available: see ``interval_method``). It is for the
        rating relative to the mean of the model's component of the
        comparison graph (the whole field when it is connected), or with an
        anchor, for the difference to the anchor (nan outside the anchor's
        component, and for a model alone in its component).
    rank : numpy.ndarray
        Competition rank of ``theta`` (1 = best) among the models of its
        component: models that were never compared, even indirectly, are not
        ordered.
    rank_best, rank_worst : numpy.ndarray
        Rank range from interval overlap within the component:
        ``rank_best[i] = 1 + #{j : low[j] > high[i]}`` (models surely better)
        and ``rank_worst[i] = #{j : high[j] >= low[i]}`` (every model not
        surely worse, ``i`` included). Equal to ``rank`` with
        ``intervals="none"``; the whole component without an interval.
    games : numpy.ndarray
        Votes per model, ties included.
    win_rate : numpy.ndarray
        ``(wins + 0.5 * ties) / games``; nan for a model with no games.
    components : list of list of int
        Connected components of the comparison graph.
    prior : float
        L2 prior on theta actually used (the fallback when the MLE did not exist).
    interval_method : str
        The intervals used: ``"sandwich"``, ``"bootstrap"``, ``"fisher"`` or
        ``"none"`` as asked, except on data that cannot support them (see
        ``docs/statistics.md``, "Thin or broken data"): ``"fisher"`` (the
        inverse information of the penalised fit) when some model won or lost
        all its games within its component, so the prior alone bounds its
        rating; ``"unavailable"`` (nan intervals) when every vote is a tie.
    all_ties : bool
        Every vote was a tie: the votes cannot tell the models apart.
    tie_model : str
        ``"half"`` or ``"davidson"``.
    tie_param : float or None
        Davidson's ``nu`` (None for ``"half"``, and when every vote is a tie:
        its estimate is then infinite): ``P(tie) = nu / (2 + nu)`` between
        equal models.
    tie_param_low, tie_param_high : float or None
        Interval of ``nu`` (a Wald interval on ``log nu``; None without one).
    left_advantage_elo, left_advantage_low, left_advantage_high : float or None
        Left-side advantage ``beta`` in Elo points and its interval (None when
        not fitted).
    style_names : tuple of str
    style_coef, style_low, style_high : numpy.ndarray or None
        Style coefficients in Elo points per unit of each covariate (None
        without style control).
    win_prob : numpy.ndarray, shape (n, n)
        Predicted expected score of ``i`` against ``j`` (a tie as half), no
        position advantage and equal style; ``win_prob + win_prob.T == 1``.
    """

    theta: np.ndarray
    elo: np.ndarray
    elo_low: np.ndarray
    elo_high: np.ndarray
    rank: np.ndarray
    rank_best: np.ndarray
    rank_worst: np.ndarray
    games: np.ndarray
    win_rate: np.ndarray
    components: list[list[int]]
    prior: float
    interval_method: str
    tie_model: str
    tie_param: float | None
    left_advantage_elo: float | None
    left_advantage_low: float | None
    left_advantage_high: float | None
    style_names: tuple[str, ...]
    style_coef: np.ndarray | None
    style_low: np.ndarray | None
    style_high: np.ndarray | None
    win_prob: np.ndarray
    tie_param_low: float | None = None
    tie_param_high: float | None = None
    all_ties: bool = False


def _single_model(battles: Battles, *, base: float, prior: float, tie_model: str) -> Ranking:
    """The trivial leaderboard of one model: at ``base``, nothing uncertain."""
    one = np.ones(1, dtype=int)
    return Ranking(
        theta=np.zeros(1),
        elo=np.full(1, base),
        elo_low=np.full(1, base),
        elo_high=np.full(1, base),
        rank=one,
        rank_best=one,
        rank_worst=one,
        games=np.zeros(1),
        win_rate=np.full(1, np.nan),
        components=[[0]],
        prior=float(prior),
        interval_method="none",
        tie_model=tie_model,
        tie_param=None,
        left_advantage_elo=None,
        left_advantage_low=None,
        left_advantage_high=None,
        style_names=(),
        style_coef=None,
        style_low=None,
        style_high=None,
        win_prob=np.full((1, 1), 0.5),
    )


# The fits are many small matrix operations: BLAS threads only fight each other
# (and Streamlit's threads) on a small machine. Measured on 2 cores, 500k votes,
# 100 models: 1,000-round bootstrap 1.27 s with OpenBLAS's 2 threads, 0.68 s with 1.
@threadpool_limits.wrap(limits=1, user_api="blas")
def rank_battles(
    battles: Battles,
    *,
    intervals: str = "sandwich",
    n_bootstrap: int = 1000,
    level: float = 0.95,
    tie_model: str = "half",
    position_bias: bool = True,
    style: bool = False,
    prior: float = 0.0,
    anchor: int | None = None,
    base: float = 1000.0,
    seed: int | np.random.Generator | None = 0,
) -> Ranking:
    """Fit the joint model to aggregated battles and summarise a leaderboard.

    The model (see ``docs/statistics.md``): each row's linear predictor is
    ``theta[left] - theta[right] + beta + style . gamma``; ties count half a
    win each way (``tie_model="half"``) or follow Davidson's model
    (``"davidson"``, tie parameter ``nu`` fitted). Fitted by damped Newton on
    the aggregated rows.

    Parameters
    ----------
    battles : Battles
        Aggregated, position-oriented counts.
    intervals : {"sandwich", "bootstrap", "fisher", "none"}, optional
        ``"sandwich"`` (default): Wald intervals from ``H^-1 J H^-1`` with ``J``
        the vote-level score outer products, robust to the half-tie
        quasi-likelihood. ``"bootstrap"``: percentile intervals from
        ``n_bootstrap`` Poisson-bootstrap refits. ``"fisher"``: Wald from
        ``H^-1`` alone. ``"none"``: nan intervals.
    n_bootstrap : int, optional
        Bootstrap rounds (only for ``intervals="bootstrap"``).
    level : float, optional
        Interval coverage.
    tie_model : {"half", "davidson"}, optional
    position_bias : bool, optional
        Fit the left-side advantage ``beta``. Ignored (not fitted) when the
        battles carry no position information or it is not identifiable
        (every pair always shown the same way round).
    style : bool, optional
        Fit the style coefficients (``battles.style`` required).
    prior : float, optional
        L2 prior on theta; 0 uses the weak fallback only if the MLE does not
        exist (see :func:`~blindside.ranking.fit_bradley_terry`).
    anchor : int, optional
        Model pinned at ``base`` on the Elo scale; default: the mean is at ``base``.
    base : float, optional
        Elo of the anchor or of the average model.
    seed : int, numpy.random.Generator or None, optional
        Bootstrap seed (same seed, same intervals).

    Returns
    -------
    Ranking

    Raises
    ------
    ValueError
        No votes with two or more models ("no votes in this selection"),
        invalid options, style requested without covariates, or style
        covariates that are constant or collinear.
    """
    if intervals not in _INTERVALS:
        raise ValueError(f"intervals must be one of {_INTERVALS}, got {intervals!r}")
    if tie_model not in _TIE_MODELS:
        raise ValueError(f"tie_model must be one of {_TIE_MODELS}, got {tie_model!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    if int(n_bootstrap) != n_bootstrap or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a non-negative integer, got {n_bootstrap!r}")
    if intervals == "bootstrap" and n_bootstrap == 0:
        intervals = "none"
    if intervals == "bootstrap":
        counts = np.concatenate([battles.left_wins, battles.right_wins, battles.ties])
        # Resampling votes needs whole votes; silently rounding would change the data.
        if not np.all(counts == np.floor(counts)):
            raise ValueError("bootstrap intervals need whole vote counts")
    if style and battles.style is None:
        raise ValueError("style=True needs style covariates on the battles")
    n = battles.n_items
    if anchor is not None and not -n <= anchor < n:
        raise ValueError(f"anchor {anchor} out of range for {n} models")
    anchor = None if anchor is None else anchor % n
    if n == 1:
        return _single_model(battles, base=base, prior=prior, tie_model=tie_model)
    if battles.total == 0:
        raise ValueError(
            f"no votes in this selection: no comparisons between the {n} models to rank"
        )
    keep = (battles.left_wins + battles.right_wins + battles.ties) > 0
    left, right = battles.left[keep].astype(np.intp), battles.right[keep].astype(np.intp)
    counts = np.stack([battles.left_wins[keep], battles.right_wins[keep], battles.ties[keep]])
    w = win_matrix(n, left, right, *counts)
    used = effective_prior(w, prior)
    components = comparison_components(w)
    all_ties = not counts[0].any() and not counts[1].any()
    # Davidson with no ties at all: nu = 0 is the MLE, i.e. plain Bradley-Terry. With
    # nothing but ties nu's MLE is infinite and every rating fits equally well: the
    # half model gives the same (equal) ratings, and nu is reported as unknown.
    davidson = tie_model == "davidson" and counts[2].sum() > 0 and not all_ties
    asked = intervals
    intervals = _honest_method(intervals, all_ties, mle_exists_within(w, components))
    for message in _thin_data_notes(asked, intervals, components, tie_model, n):
        warnings.warn(message, ThinDataWarning, stacklevel=2)
    fit_beta = position_bias and battles.position_known
    sub_battles = Battles(
        n, left, right, *counts, style=None if battles.style is None else battles.style[keep]
    )

    def joint(z: np.ndarray) -> JointModel:
        return JointModel(
            n, left, right, counts[:, :, None], z, davidson=davidson, prior=np.array([used])
        )

    # The left advantage is checked against the ratings alone; style columns
    # are then checked against everything else (a constant column is beta).
    if (
        fit_beta
        and not identified(joint(design_matrix(sub_battles, True, False)), np.array([0]))[0]
    ):
        warnings.warn(
            "every pair was shown the same way round: the left-side advantage cannot be "
            "separated from the ratings and is not fitted",
            RuntimeWarning,
            stacklevel=2,
        )
        fit_beta = False
    model = joint(design_matrix(sub_battles, fit_beta, style))
    z = model.z_design
    n_beta = int(fit_beta)
    if style:
        cols = np.arange(n_beta, z.shape[1])
        bad = ~identified(model, cols)
        if np.any(bad):
            names = [battles.style_names[c - n_beta] for c in cols[bad]]
            raise ValueError(
                "style covariates are constant or collinear with the others / the ratings: "
                + ", ".join(names)
            )

    x_hat = model.fit(np.zeros((1, model.m)), tol=1e-10)[0]
    theta = x_hat[:n]
    elo = to_elo(theta, base=base, anchor=anchor)
    contrast = display_contrast(n, model.m, anchor, components)
    z_level = float(ndtri(0.5 + level / 2))

    # Intervals for every reported quantity, on the parameter scale x.
    if intervals in ("sandwich", "fisher"):
        cov = covariance(model, x_hat, sandwich=intervals == "sandwich")
        se_x = np.sqrt(np.maximum(np.diag(cov), 0.0))
        se_theta = np.sqrt(np.maximum(np.einsum("im,mk,ik->i", contrast, cov, contrast), 0.0))
        theta_low = contrast @ x_hat - z_level * se_theta
        theta_high = contrast @ x_hat + z_level * se_theta
        x_low, x_high = x_hat - z_level * se_x, x_hat + z_level * se_x
    elif intervals == "bootstrap":
        samples = poisson_bootstrap(
            model, x_hat, n_bootstrap, seed, fallback=prior == 0 and used == 0, tol=1e-6
        )
        theta_low, theta_high = percentile_intervals(samples @ contrast.T, level)
        x_low, x_high = percentile_intervals(samples, level)
    else:
        theta_low = theta_high = np.full(n, np.nan)
        x_low = x_high = np.full(model.m, np.nan)
    # Nothing to compare a model with: alone in its component, or outside the anchor's.
    alone = np.zeros(n, dtype=bool)
    for comp in components:
        alone[comp] = len(comp) == 1 or (anchor is not None and anchor not in comp)
    theta_low, theta_high = np.where(alone, np.nan, theta_low), np.where(alone, np.nan, theta_high)
    shift = elo - ELO_SCALE * (contrast @ x_hat)  # base, plus the centring of elo
    elo_low, elo_high = shift + ELO_SCALE * theta_low, shift + ELO_SCALE * theta_high

    rank = rank_within(theta, components, tol=1e-8)  # equal up to solver noise (~2e-6 Elo)
    if intervals == "none":
        rank_best = rank_worst = rank
    else:
        rank_best, rank_worst = rank_ranges(elo_low, elo_high, components)

    def elo_of(k: int) -> tuple[float, float, float]:
        return tuple(float(ELO_SCALE * v[k]) for v in (x_hat, x_low, x_high))  # type: ignore[return-value]

    left_adv = elo_of(n) if fit_beta else (None, None, None)
    style_idx = np.arange(n + n_beta, n + model.q)
    # Davidson's nu and its interval, as the left advantage above.
    nu: tuple[float | None, ...] = (None, None, None)
    if davidson:
        nu = tuple(
            None if np.isnan(v[-1]) else float(np.exp(v[-1])) for v in (x_hat, x_low, x_high)
        )
    elif tie_model == "davidson" and not all_ties:
        nu = (0.0, 0.0, 0.0)
    games = (w + w.T).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(games > 0, w.sum(axis=1) / games, np.nan)
    gap = theta[:, None] - theta[None, :]
    win_prob = davidson_expected_score(gap, nu[0]) if davidson else expit(gap)
    return Ranking(
        theta=theta,
        elo=elo,
        elo_low=elo_low,
        elo_high=elo_high,
        rank=rank,
        rank_best=rank_best,
        rank_worst=rank_worst,
        games=games,
        win_rate=win_rate,
        components=components,
        prior=used,
        interval_method=intervals,
        tie_model=tie_model,
        tie_param=nu[0],
        tie_param_low=nu[1],
        tie_param_high=nu[2],
        left_advantage_elo=left_adv[0],
        left_advantage_low=left_adv[1],
        left_advantage_high=left_adv[2],
        style_names=battles.style_names if style else (),
        style_coef=ELO_SCALE * x_hat[style_idx] if style else None,
        style_low=ELO_SCALE * x_low[style_idx] if style else None,
        style_high=ELO_SCALE * x_high[style_idx] if style else None,
        win_prob=win_prob,
        all_ties=all_ties,
    )


def _thin_data_notes(
    asked: str, used: str, components: list[list[int]], tie_model: str, n: int
) -> list[str]:
    """What a reader of the fit must know about thin or broken data, in words."""
    notes = []
    if len(components) > 1:
        notes.append(
            f"the comparison graph has {len(components)} groups that were never compared: "
            "each rating and its interval are relative to its own group's average, and "
            "ranks and rank ranges are within a group"
        )
    if any(len(c) == 1 for c in components):
        notes.append("a model with no comparisons has no interval")
    if used == "unavailable":
        notes.append(
            "every vote is a tie: the votes cannot tell the models apart, so no interval "
            "is given" + ("; the tie parameter is unbounded" if tie_model == "davidson" else "")
        )
    elif used != asked:
        notes.append(
            "some model won or lost all its games, so only the prior bounds its rating: "
            f"intervals are the inverse Fisher information of the penalised fit, not {asked}"
        )
    return notes


def _honest_method(asked: str, all_ties: bool, mle_exists: bool) -> str:
    """The interval method the data can support (``docs/statistics.md``, thin or broken data).

    Each rule was chosen by simulation (``tests/unit/ranking/test_degenerate.py``,
    ``benchmarks/bench_degenerate.py``): the interval asked for either covers the
    truth in 90% of simulations or more, or it is replaced.

    - Every vote a tie: no decisive vote, so nothing bounds the gaps between
      models (under Davidson, nu runs to infinity and the likelihood goes flat
      in theta; the half model's sandwich is exactly 0 and its Fisher interval
      misses gaps that ties-only data cannot rule out): ``"unavailable"``.
    - Some model won or lost all its games inside its component: the prior
      alone bounds its rating, and the sandwich and the bootstrap are narrow
      around an estimate that the prior placed; the inverse Fisher information
      of the penalised fit carries the prior's width: ``"fisher"``.
    """
    if asked == "none":
        return asked
    if all_ties:
        return "unavailable"
    if not mle_exists:
        return "fisher"
    return asked
