"""Next-session forecasts per symbol: realized volatility (HAR-RV) and return (ridge on lags).

Inputs of :func:`forecast_sessions`:

- ``realized``: columns ``symbol``, ``date`` and ``realized_vol``: the session's realized
  volatility in percent, ``100 x sqrt(sum r_i^2)`` over its 5-minute log returns (the rows of
  ``equity_regime``, :mod:`.regime`; intraday only, the overnight gap is not in it);
- ``closes``: daily closes as :mod:`.risk` takes them (``symbol``, ``date``, ``close`` or
  ``adj_close``), so returns are total returns where the closes are adjusted;
- ``sessions``: the as-of dates to forecast from (a day each, tz-naive or read in New York).

Output: :class:`Forecasts`: per (symbol, as-of session) the forecast of the next session and
the walk-forward evaluation up to the session (:data:`COLUMNS`), the fitted model that made the
forecast (:data:`MODEL_COLUMNS`: the artefact), every one-step forecast made on the way
(:data:`STEP_COLUMNS`) and the evaluation pooled over the symbols per session.

Conventions (docs/analytics.md quotes them):

- **Observations**: a symbol's volatility series is its sessions with a positive realized vol;
  its return series is ``100 x (close_t / close_(t-1) - 1)`` between consecutive closes in
  ``closes`` (percent, a gap in the dates is one return). "The last 5" means the last five
  observations. A model forecasts from a session only if its series has an observation on it.
- **Volatility, HAR-RV** (Corsi, 2009), fitted by OLS (scikit-learn ``LinearRegression``):
  ``rv_(t+1) = c + b_d rv_t + b_w mean(rv_(t-4..t)) + b_m mean(rv_(t-21..t))``. In levels, not
  logs: a log model forecasts the median, not the mean, of the next session's vol. A level model
  can extrapolate below zero, so the forecast is floored at the smallest realized vol among its
  training targets (QLIKE needs a positive forecast).
- **Return**: ``r_(t+1) = a + sum_k a_k r_(t-k+1)``, k = 1..5, by ridge regression
  (scikit-learn ``Ridge``, ``alpha`` = 10 on returns in percent, intercept not penalized). On a
  random walk the honest forecast is about zero; the penalty keeps five noisy lags from
  pretending otherwise.
- **Training**: the model used at origin ``o`` is fitted on the pairs ``(x_j, y_(j+1))`` whose
  target is at or before ``o``: the most recent ``max_train`` (252) of them, and at least
  ``min_train`` (40), else there is no forecast. The window expands from a symbol's first
  stored session until it holds a year, then rolls. The cap is what makes a forecast a function
  of a fixed stretch of history (:attr:`ForecastSpec.history_needed` observations), so a
  session's forecast does not depend on how far back the caller happened to read, and the
  walk-forward forecast of session ``s`` is exactly the forecast published as of ``s - 1``.
- **Forecast** = ``intercept + sum coef_k x feature_k`` with the stored coefficients and
  features of :data:`MODEL_COLUMNS` (then the floor, for the volatility): a stored forecast is
  reproducible from its model row alone.
- **Walk-forward evaluation** as of session ``t``: every one of the series' last
  ``eval_sessions`` (63) observations up to ``t`` is a target, forecast from the observation
  before it by a model refitted at that origin (refit every step, on the pairs known at the
  origin only: no future data). Naive baseline: the origin's realized vol (volatility), zero
  (return). Targets without a forecast (too little training) are left out of the scores.
- **Metrics**: RMSE and MAE in percent; ``QLIKE = mean(s - ln s - 1)`` with ``s = rv^2 /
  forecast^2`` (Patton, 2011: on variances, robust to a noisy proxy; 0 is perfect); skill
  ``1 - MSE / MSE_naive`` (NaN when the naive MSE is 0); hit rate: share of targets where the
  forecast's sign equals the return's (the sign of 0 is 0); up share: share of positive
  returns among the same targets (the hit rate of always forecasting up).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from vvv_pipeline.analytics.risk import prepare_closes
from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.metadata_tiers.windows import symbol_column

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted: it takes 1.5-3 s to
    # import, and every process that loads the definitions (each run's worker, the webserver,
    # the daemon) imports this module
    from sklearn.linear_model import LinearRegression, Ridge

MODEL_REVISION = 1
"""Bumped when the method changes in a way the spec's numbers do not say (features, floor...)."""


@dataclass(frozen=True)
class ForecastSpec:
    """The model's parameters; :attr:`version` names them (the asset's code version)."""

    har_windows: tuple[int, ...] = (1, 5, 22)
    """Sessions averaged by the HAR terms: day, week, month."""
    return_lags: int = 5
    ridge_alpha: float = 10.0
    """Ridge penalty on the return coefficients (returns in percent)."""
    min_train: int = 40
    max_train: int = 252
    eval_sessions: int = 63

    def __post_init__(self) -> None:
        windows = self.har_windows
        if not windows or any(w < 1 for w in windows) or list(windows) != sorted(set(windows)):
            raise ValueError(f"har_windows must be increasing positive ints: {windows}")
        if self.return_lags < 1 or self.ridge_alpha < 0 or self.eval_sessions < 1:
            raise ValueError("return_lags >= 1, ridge_alpha >= 0 and eval_sessions >= 1 needed")
        if not 2 <= self.min_train <= self.max_train:
            raise ValueError("need 2 <= min_train <= max_train")

    def to_json(self) -> str:
        """The spec and the method's revision as stored beside every fitted model."""
        return json.dumps({"revision": MODEL_REVISION, **asdict(self)}, sort_keys=True)

    @property
    def version(self) -> str:
        """``har-ridge-r{revision}-{digest}``: any change of a parameter changes it."""
        digest = hashlib.sha256(self.to_json().encode()).hexdigest()[:8]
        return f"har-ridge-r{MODEL_REVISION}-{digest}"

    @property
    def history_needed(self) -> int:
        """Observations before and including a session that its forecast and evaluation read."""
        return self.eval_sessions + self.max_train + max(self.har_windows[-1], self.return_lags)


SPEC = ForecastSpec()

COLUMNS: dict[str, str] = {
    "symbol": "equity symbol (category)",
    "date": "as-of session, tz-naive midnight: forecasts use data up to and including it",
    "model_version": "the model spec's version (the asset's code version)",
    "realized_vol": "the session's realized vol, percent (100 x sqrt of summed squared 5-minute "
    "log returns)",
    "return_pct": "the session's close-to-close return, percent",
    "vol_forecast": "HAR-RV forecast of the next session's realized vol, percent",
    "vol_naive": "naive forecast of the next session's realized vol: this session's",
    "ret_forecast": "ridge forecast of the next session's return, percent (naive: 0)",
    "vol_eval_steps": "walk-forward volatility forecasts scored (of the last 63 sessions)",
    "vol_rmse": "walk-forward RMSE of the volatility forecasts, percent",
    "vol_rmse_naive": "RMSE of the naive volatility forecasts on the same targets, percent",
    "vol_mae": "walk-forward MAE of the volatility forecasts, percent",
    "vol_mae_naive": "MAE of the naive volatility forecasts, percent",
    "vol_qlike": "walk-forward QLIKE loss mean(s - ln s - 1), s = rv^2 / forecast^2",
    "vol_qlike_naive": "QLIKE of the naive volatility forecasts",
    "vol_skill": "1 - MSE / MSE_naive of the volatility forecasts (> 0: better than naive)",
    "ret_eval_steps": "walk-forward return forecasts scored (of the last 63 sessions)",
    "ret_rmse": "walk-forward RMSE of the return forecasts, percent",
    "ret_rmse_naive": "RMSE of the zero forecast on the same targets, percent",
    "ret_skill": "1 - MSE / MSE_zero of the return forecasts (> 0: better than zero)",
    "ret_hit_rate": "share of scored sessions whose return sign the forecast got right",
    "ret_up_share": "share of the scored sessions that rose (always-up hit rate)",
}

MODEL_COLUMNS: dict[str, str] = {
    "symbol": "equity symbol (category)",
    "date": "as-of session, tz-naive midnight: the model is fitted on targets up to it",
    "model_version": "the model spec's version",
    "spec": "the spec as JSON (windows, lags, alpha, training bounds, evaluation length)",
    "vol_train_rows": "training pairs of the volatility model (0: not fitted)",
    "vol_train_start": "session of the first volatility training target",
    "vol_intercept": "HAR intercept c, percent",
    "vol_beta_day": "HAR coefficient of the last session's realized vol",
    "vol_beta_week": "HAR coefficient of the mean realized vol of the last 5 sessions",
    "vol_beta_month": "HAR coefficient of the mean realized vol of the last 22 sessions",
    "vol_floor": "smallest realized vol among the training targets: the forecast's floor",
    "rv_day": "feature: the session's realized vol, percent",
    "rv_week": "feature: mean realized vol of the last 5 sessions, percent",
    "rv_month": "feature: mean realized vol of the last 22 sessions, percent",
    "ret_train_rows": "training pairs of the return model (0: not fitted)",
    "ret_train_start": "session of the first return training target",
    "ret_intercept": "ridge intercept, percent",
    **{f"ret_coef_{k}": f"ridge coefficient of lag {k}" for k in range(1, 6)},
    "ret_lag_1": "feature: the session's return, percent",
    **{
        f"ret_lag_{k}": f"feature: the return {k - 1} observations before the session's, percent"
        for k in range(2, 6)
    },
}

STEP_COLUMNS: dict[str, str] = {
    "symbol": "equity symbol",
    "kind": "vol or ret",
    "origin": "session the forecast is made on (its data and model)",
    "target": "session forecast: the next observation (NaT: not yet known)",
    "train_start": "session of the first training target",
    "train_end": "session of the last training target (the origin)",
    "train_rows": "training pairs",
    "forecast": "the model's forecast of the target, percent",
    "naive": "the naive forecast: the origin's realized vol, or 0 for a return",
    "realized": "the target's realized value, percent (NaN: not yet known)",
}

_VOL_TERMS = ("vol_beta_day", "vol_beta_week", "vol_beta_month")
_OUTPUTS = ("vol_forecast", "vol_naive", "ret_forecast")
_VOL_FEATURES = ("rv_day", "rv_week", "rv_month")


@dataclass(frozen=True)
class Forecasts:
    summary: pd.DataFrame
    """One row per (symbol, session): :data:`COLUMNS`."""
    models: pd.DataFrame
    """The fitted models of the same rows: :data:`MODEL_COLUMNS`."""
    steps: pd.DataFrame
    """Every one-step forecast computed: :data:`STEP_COLUMNS`."""
    pooled: pd.DataFrame
    """Per session (index ``date``) the evaluation over all symbols' scored targets."""


def har_features(rv: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    """Row ``i``: the mean of the last ``w`` values up to ``i`` per window (NaN before)."""
    out = np.full((len(rv), len(windows)), np.nan)
    for c, w in enumerate(windows):
        if len(rv) >= w:
            out[w - 1 :, c] = sliding_window_view(rv, w).mean(axis=1)
    return out


def lag_features(values: np.ndarray, lags: int) -> np.ndarray:
    """Row ``i``: ``values[i], values[i-1], ..., values[i-lags+1]`` (NaN before)."""
    out = np.full((len(values), lags), np.nan)
    for k in range(min(lags, len(values))):  # a series shorter than the lags has NaN rows
        out[k:, k] = values[: len(values) - k]
    return out


@dataclass(frozen=True)
class Fit:
    intercept: float
    coef: np.ndarray
    rows: int
    first_target: int
    """Index of the first training target."""
    floor: float
    """Lower bound of the forecast (-inf: none)."""

    def predict(self, x: np.ndarray) -> float:
        """``intercept + x . coef``, then the floor: what the stored model row reproduces."""
        return max(float(self.intercept + x @ self.coef), self.floor)


def fit_at(
    x: np.ndarray,
    y: np.ndarray,
    origin: int,
    first_row: int,
    spec: ForecastSpec,
    make: Callable[[], LinearRegression | Ridge],
    floored: bool,
) -> Fit | None:
    """The model of ``origin``: pairs ``(x_j, y_(j+1))`` with ``first_row <= j`` and ``j + 1 <=
    origin`` (targets known at the origin), the last ``max_train`` of them; None with fewer than
    ``min_train``. ``first_row`` is the first row with every feature."""
    rows = np.arange(max(first_row, origin - spec.max_train), origin)
    if len(rows) < spec.min_train:
        return None
    targets = y[rows + 1]
    model = make().fit(x[rows], targets)
    floor = float(targets.min()) if floored else -np.inf
    return Fit(float(model.intercept_), model.coef_.copy(), len(rows), int(rows[0]) + 1, floor)


def qlike(realized_vol: np.ndarray, forecast_vol: np.ndarray) -> float:
    """Mean ``s - ln s - 1`` with ``s = realized^2 / forecast^2`` (variances; 0 when equal)."""
    s = (realized_vol / forecast_vol) ** 2
    return float(np.mean(s - np.log(s) - 1.0))


_VOL_SCORES = [name for name in COLUMNS if name.startswith("vol_") and name not in _OUTPUTS]
_RET_SCORES = [name for name in COLUMNS if name.startswith("ret_") and name not in _OUTPUTS]


def vol_scores(forecast: np.ndarray, naive: np.ndarray, realized: np.ndarray) -> dict[str, float]:
    """Scored targets, RMSE, MAE and QLIKE of the forecasts and of the naive ones, the skill."""
    if len(realized) == 0:
        return dict.fromkeys(_VOL_SCORES, np.nan) | {"vol_eval_steps": 0}
    err, naive_err = forecast - realized, naive - realized
    mse, naive_mse = float(np.mean(err**2)), float(np.mean(naive_err**2))
    return {
        "vol_eval_steps": len(realized),
        "vol_rmse": np.sqrt(mse),
        "vol_rmse_naive": np.sqrt(naive_mse),
        "vol_mae": float(np.mean(np.abs(err))),
        "vol_mae_naive": float(np.mean(np.abs(naive_err))),
        "vol_qlike": qlike(realized, forecast),
        "vol_qlike_naive": qlike(realized, naive),
        "vol_skill": 1.0 - mse / naive_mse if naive_mse > 0 else np.nan,
    }


def return_scores(forecast: np.ndarray, realized: np.ndarray) -> dict[str, float]:
    """Scored targets, RMSE of the forecasts and of zero, skill over zero, hit rate, up share."""
    if len(realized) == 0:
        return dict.fromkeys(_RET_SCORES, np.nan) | {"ret_eval_steps": 0}
    mse, zero_mse = float(np.mean((forecast - realized) ** 2)), float(np.mean(realized**2))
    return {
        "ret_eval_steps": len(realized),
        "ret_rmse": np.sqrt(mse),
        "ret_rmse_naive": np.sqrt(zero_mse),
        "ret_skill": 1.0 - mse / zero_mse if zero_mse > 0 else np.nan,
        "ret_hit_rate": float(np.mean(np.sign(forecast) == np.sign(realized))),
        "ret_up_share": float(np.mean(realized > 0)),
    }


Scored = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
"""kind -> (forecast, naive, realized) of the scored targets."""


def scores(scored: Scored) -> dict[str, float]:
    """Both kinds' scores (a kind missing from ``scored`` has none)."""
    empty = (np.empty(0),) * 3
    forecast, naive, realized = scored.get("vol", empty)
    ret_forecast, _, ret_realized = scored.get("ret", empty)
    return vol_scores(forecast, naive, realized) | return_scores(ret_forecast, ret_realized)


def _days(values: pd.Series) -> pd.Series:
    """Dates as tz-naive midnights of their New York day."""
    date = pd.to_datetime(values)
    if date.dt.tz is not None:  # a tz-aware instant names its New York day
        date = date.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    return date.dt.normalize().astype("datetime64[ns]")


def observations(realized: pd.DataFrame, closes: pd.DataFrame) -> dict[str, dict[str, pd.Series]]:
    """symbol -> {"vol": positive realized vols by date, "ret": returns in percent by date}."""
    out: dict[str, dict[str, pd.Series]] = {}
    if len(realized):
        vol = pd.DataFrame(
            {
                "symbol": realized["symbol"].astype(str).to_numpy(),
                "date": _days(realized["date"]).to_numpy(),
                "value": realized["realized_vol"].to_numpy(dtype=np.float64),
            }
        )
        if vol.duplicated(["symbol", "date"]).any():
            raise ValueError("realized: more than one realized vol for a (symbol, date)")
        vol = vol[np.isfinite(vol["value"]) & (vol["value"] > 0)].sort_values(["symbol", "date"])
        for symbol, rows in vol.groupby("symbol", sort=True):
            out.setdefault(str(symbol), {})["vol"] = rows.set_index("date")["value"]
    if len(closes):
        frame, _ = prepare_closes(closes)
        frame = frame.dropna(subset=["ret"])
        for symbol, rows in frame.groupby("symbol", sort=True):
            out.setdefault(str(symbol), {})["ret"] = rows.set_index("date")["ret"] * 100.0
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class _Walked:
    """One symbol's series of one kind, walked forward for the sessions asked."""

    series: pd.Series
    steps: pd.DataFrame
    """Rows of :data:`STEP_COLUMNS` in origin order."""
    target_at: np.ndarray
    """Per step, the position of its target in ``series`` (``len(series)``: not yet known)."""
    models: dict[pd.Timestamp, tuple[Fit | None, np.ndarray]]
    """Session -> the model fitted at it (None: too little training) and its features."""
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray]
    """The steps' forecast, naive and realized columns."""

    def scored(self, day: pd.Timestamp, sessions: int) -> tuple[np.ndarray, ...]:
        """(forecast, naive, realized) of the steps whose target is among the series' last
        ``sessions`` observations up to ``day`` (a contiguous run: targets ascend)."""
        last = int(self.series.index.searchsorted(day, side="right")) - 1
        lo = np.searchsorted(self.target_at, last - sessions + 1, side="left")
        hi = np.searchsorted(self.target_at, last, side="right")
        return tuple(column[lo:hi] for column in self.arrays)


def _walk(
    symbol: str, kind: str, series: pd.Series, days: pd.DatetimeIndex, spec: ForecastSpec
) -> _Walked:
    """The one-step forecasts the sessions need: each session's own (published) and those of
    its evaluation window, each origin fitted once (a forecast depends on its origin only)."""
    import sklearn
    from sklearn.linear_model import LinearRegression, Ridge

    y = series.to_numpy()
    dates = series.index
    if kind == "vol":
        x, first_row = har_features(y, spec.har_windows), spec.har_windows[-1] - 1
        make: Callable[[], LinearRegression | Ridge] = LinearRegression
    else:
        x, first_row = lag_features(y, spec.return_lags), spec.return_lags - 1
        alpha = spec.ridge_alpha

        def make() -> Ridge:
            return Ridge(alpha=alpha)

    # each session's last observation (itself, when the series has it) and the origins of
    # the targets before it that the session scores
    last = dates.searchsorted(days, side="right") - 1
    origins = sorted(
        {o for k in last[last >= 0] for o in range(max(k - spec.eval_sessions, 0), k + 1)}
    )
    # the series are finite by construction (:func:`observations`): skip scikit-learn's
    # per-fit input checks, most of the time of a fit this small
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        fits = {o: fit_at(x, y, o, first_row, spec, make, kind == "vol") for o in origins}
    rows, target_at = [], []
    for o, fit in fits.items():
        if fit is None:
            continue
        known = o + 1 < len(y)
        target_at.append(o + 1 if known else len(y))
        rows.append(
            (
                symbol,
                kind,
                dates[o],
                dates[o + 1] if known else pd.NaT,
                dates[fit.first_target],
                dates[o],
                fit.rows,
                fit.predict(x[o]),
                y[o] if kind == "vol" else 0.0,
                y[o + 1] if known else np.nan,
            )
        )
    steps = pd.DataFrame(rows, columns=list(STEP_COLUMNS))
    asked = dates.get_indexer(days)
    models = {dates[k]: (fits[k], x[k]) for k in asked[asked >= 0]}
    arrays = tuple(steps[c].to_numpy(np.float64) for c in ("forecast", "naive", "realized"))
    return _Walked(series, steps, np.array(target_at, dtype=np.int64), models, arrays)


def _model_fields(kind: str, fit: Fit | None, x: np.ndarray, dates: pd.Index) -> dict:
    """The model row's columns of one kind: training, coefficients, features."""
    if kind == "vol":
        terms, features = _VOL_TERMS, _VOL_FEATURES
    else:
        terms = tuple(f"ret_coef_{k}" for k in range(1, len(x) + 1))
        features = tuple(f"ret_lag_{k}" for k in range(1, len(x) + 1))
    coef = [np.nan] * len(terms) if fit is None else [float(c) for c in fit.coef]
    row: dict[str, object] = {
        f"{kind}_train_rows": 0 if fit is None else fit.rows,
        f"{kind}_train_start": pd.NaT if fit is None else dates[fit.first_target],
        f"{kind}_intercept": np.nan if fit is None else fit.intercept,
        **dict(zip(terms, coef, strict=True)),
        **{name: float(value) for name, value in zip(features, x, strict=True)},
    }
    if kind == "vol":
        row["vol_floor"] = np.nan if fit is None else fit.floor
    return row


def _symbol_day(
    symbol: str, day: pd.Timestamp, walked: dict[str, _Walked], spec: ForecastSpec
) -> tuple[dict, dict, Scored]:
    """One (symbol, session): its summary row, its model row and the targets it scored."""
    head = {"symbol": symbol, "date": day, "model_version": spec.version}
    summary, model = dict(head), head | {"spec": spec.to_json()}
    scored: Scored = {}
    for kind, width in (("vol", len(spec.har_windows)), ("ret", spec.return_lags)):
        fit, x, dates = None, np.full(width, np.nan), pd.DatetimeIndex([])
        value = forecast = np.nan
        if kind in walked:
            w = walked[kind]
            fit, x = w.models.get(day, (None, x))
            value, dates = w.series.get(day, np.nan), w.series.index
            scored[kind] = w.scored(day, spec.eval_sessions)
            if fit is not None:
                forecast = fit.predict(x)
        model |= _model_fields(kind, fit, x, dates)
        if kind == "vol":
            summary |= {"realized_vol": value, "vol_forecast": forecast, "vol_naive": value}
        else:
            summary |= {"return_pct": value, "ret_forecast": forecast}
    return summary | scores(scored), model, scored


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in columns})


def _typed(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows in the columns' order with stable dtypes (ArcticDB rejects a changed dtype)."""
    frame = pd.DataFrame(rows, columns=list(columns)) if rows else _empty(columns)
    for name in frame.columns:
        if name == "symbol":
            frame[name] = symbol_column(frame[name].to_numpy())
        elif name in ("model_version", "spec"):
            frame[name] = frame[name].astype(object)
        elif name == "date" or name.endswith("_start"):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
        elif name.endswith(("_rows", "_steps")):
            frame[name] = frame[name].astype(np.int64)
        else:
            frame[name] = frame[name].astype(np.float64)
    return frame


def forecast_sessions(
    realized: pd.DataFrame,
    closes: pd.DataFrame,
    sessions: Sequence[object],
    spec: ForecastSpec = SPEC,
) -> Forecasts:
    """Forecasts, models and walk-forward evaluation as of each of ``sessions``; see the module
    docstring. A symbol gets a row on a session where it has a realized vol or a return."""
    if spec.return_lags != 5 or len(spec.har_windows) != 3:
        raise ValueError("the stored model columns hold 3 HAR windows and 5 return lags")
    days = pd.DatetimeIndex(_days(pd.Series(list(sessions)))).unique().sort_values()
    summary, models, steps = [], [], []
    pooled: dict[pd.Timestamp, dict[str, list[tuple[np.ndarray, ...]]]] = {d: {} for d in days}
    for symbol, both in observations(realized, closes).items():
        walked = {kind: _walk(symbol, kind, s, days, spec) for kind, s in both.items()}
        steps += [w.steps for w in walked.values()]
        for day in days:
            if not any(day in s.index for s in both.values()):
                continue
            row, model, scored = _symbol_day(symbol, day, walked, spec)
            summary.append(row)
            models.append(model)
            for kind, arrays in scored.items():
                pooled[day].setdefault(kind, []).append(arrays)
    all_steps = pd.concat(steps, ignore_index=True) if steps else _empty(STEP_COLUMNS)
    return Forecasts(
        _typed(summary, COLUMNS), _typed(models, MODEL_COLUMNS), all_steps, _pooled(pooled)
    )


def _pooled(found: dict[pd.Timestamp, dict[str, list[tuple[np.ndarray, ...]]]]) -> pd.DataFrame:
    """Per session, the scores over every symbol's scored targets of each kind."""
    rows = []
    for day, by_kind in found.items():
        joined = {
            kind: tuple(np.concatenate(column) for column in zip(*parts, strict=True))
            for kind, parts in by_kind.items()
        }
        rows.append({"date": day, **scores(joined)})
    return pd.DataFrame(rows, columns=["date", *_VOL_SCORES, *_RET_SCORES]).set_index("date")
