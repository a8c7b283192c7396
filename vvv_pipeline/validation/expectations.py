"""Tier 4: a great-expectations 1.x suite per source, its results as a table in the check.

Tier 1's pandera schema (:mod:`.contract`) is the blocking gate; it is vectorized and cheap. This
module is the *documentation* tier: the same rule table (:mod:`.rule_table`: columns, nulls,
ranges, code sets, id uniqueness, quote and OHLC order, OCC format) written as GX expectations.
Every run's result is stored in a file-mode GX context and returned as one row per expectation
(:attr:`ExpectationsRun.results`, :func:`results_markdown`), which the tier-4 check puts in its
metadata, so the UI shows what was expected, of which column, and what was observed. GX costs
seconds where the tier-1 schema costs tens of milliseconds (see ``DESIGN.md``), so it is not
the gate.

**No data docs.** GX's data-docs pages load jQuery, Bootstrap, bootstrap-table and Vega from
CDNs, and their index is drawn by bootstrap-table: offline (this pipeline's machines may be) the
pages are blank, and no installed package ships those files to substitute. The check's table
carries the same facts inside the UI, so no HTML is rendered (which also saves the docs'
rendering time on every run); the stored JSON results stay for GX's own tools.

Layout: the context lives directly in ``docs_root`` (the pipeline passes ``<data dir>/gx``):
``great_expectations.yml``, ``expectations/`` (one suite per source), ``validation_definitions/``,
``checkpoints/`` and ``uncommitted/validations/`` (every run's result, JSON).

Choices, and why:

* **Offline.** The context is created with ``analytics_enabled: false`` in its config and
  ``GX_ANALYTICS_ENABLED=false`` is set for the process (unless the caller set it); this GX
  version sends nothing and never checks PyPI on ``get_context``, and the tests run offline.
* **Idempotent and shared.** The context is scaffolded on first use and reopened afterwards;
  datasource, asset, batch definition, suite, validation definition and checkpoint are each
  fetched by name or added. A run is named by its partition key, with its own run time,
  so runs of different partitions (and reruns of one) are stored side by side. The whole run
  holds an exclusive ``flock`` on ``docs_root/.vvv-gx.lock`` so two processes never interleave
  writes to the stores. A checkpoint saved by an older version with a data-docs action is
  replaced by one without.
* **Sampling.** Above ``sample_rows`` rows an evenly spaced, deterministic sample (always
  including the first and last row) is validated: GX's pandas execution costs roughly linearly in
  rows times expectations, and the docs are for reading, not for gating. Row-level defects that
  fall between the sampled rows are tier 1's job; the statistics report both counts.
* **Dtypes.** A copy is validated in which categorical columns become ``object`` of ``str``, so
  GX's pandas metrics and its result renderers see plain values rather than ``CategoricalDtype``
  (handled unevenly across expectations; not verified one by one here). ``ts`` stays tz-aware
  UTC; no expectation compares it with naive values. The caller's frame is never modified.
* **Import cost.** ``great_expectations`` is imported on first use (about 4 s on this machine),
  so importing this module, e.g. from the Dagster definitions, costs nothing; ``vvv-pipeline
  run`` imports it in a helper process meanwhile (:mod:`.expectations_helper`).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.validation.expectation_results import expectation_columns, result_rows
from vvv_pipeline.validation.rule_table import NOT_NULL, Rule, rules_of_tier

if TYPE_CHECKING:
    import great_expectations as gx

DATASOURCE = "vvv"
BATCH_DEFINITION = "whole_frame"
SUITE_PREFIX = "vvv."
LOCK_FILE = ".vvv-gx.lock"
OCC_REGEX = r"^[A-Z0-9.]+\d{6}[CP]\d{8}$"
"""OCC option symbol without padding (root, yymmdd, C/P, strike x 1000 in 8 digits)."""


def import_great_expectations() -> Any:
    """great_expectations, imported on first use (its import alone takes seconds), offline."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations

    return great_expectations


def suite_name(source: str) -> str:
    return f"{SUITE_PREFIX}{source}"


def expectations_of(rule: Rule, gxe: Any, symbols: Sequence[str] | None) -> list[Any]:
    """The GX expectations that state one tier-1 rule (none where GX has no equivalent: the
    partition window, infinities, OCC consistency; the pandera schema alone holds those)."""
    p, c = rule.params, rule.column
    if rule.check == NOT_NULL:
        return [gxe.ExpectColumnValuesToNotBeNull(column=c)]
    if rule.check == "finite_positive":
        return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, strict_min=True)]
    if rule.check == "finite_non_negative":
        return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0)]
    if rule.check == "within":
        return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=p["lo"], max_value=p["hi"])]
    if rule.check == "known_codes":
        return [gxe.ExpectColumnValuesToBeInSet(column=c, value_set=list(p["allowed"]))]
    if rule.check == "in_universe" and symbols is not None:
        return [gxe.ExpectColumnValuesToBeInSet(column=c, value_set=sorted(symbols))]
    if rule.check == "unique_per_symbol":
        return [gxe.ExpectCompoundColumnsToBeUnique(column_list=["symbol", p["id_column"]])]
    if rule.check == "quotes_ordered":
        return [
            gxe.ExpectColumnValuesToBeBetween(column=p["bid"], min_value=0),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=p["ask"],
                column_B=p["bid"],
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ]
    if rule.check == "ohlc_ordered":
        pairs = (("high", "low"), ("high", "open"), ("high", "close"), ("open", "low"))
        return [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=a, column_B=b, or_equal=True)
            for a, b in (*pairs, ("close", "low"))
        ]
    if rule.check == "occ_format":
        return [gxe.ExpectColumnValuesToMatchRegex(column="option_symbol", regex=OCC_REGEX)]
    return []


def suite_for(source: str, symbols: Sequence[str] | None = None) -> gx.ExpectationSuite:
    """The expectation suite of one canonical source, written from the rule table.

    Columns in order (the canonical schema the pandera contract declares), then each tier-1
    rule in the table's order as the expectations that state it (:func:`expectations_of`).
    ``symbols`` (optional) states universe membership as a value set on ``symbol``.
    """
    if source not in SOURCE_SCHEMAS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCE_SCHEMAS)}")
    gx = import_great_expectations()
    gxe = gx.expectations
    exps: list[Any] = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=SOURCE_SCHEMAS[source].names),
    ]
    for rule in rules_of_tier(source, 1):
        exps += expectations_of(rule, gxe, symbols)
    return gx.ExpectationSuite(
        name=suite_name(source),
        expectations=exps,
        meta={"source": source, "generated_by": __name__},
    )


@dataclass(frozen=True)
class ExpectationsRun:
    """The outcome of one GX validation of a (source, partition) frame."""

    success: bool
    evaluated: int
    failed: list[str]
    """Failed expectations as ``"<expectation type>(<column(s)>)"``."""
    statistics: dict[str, float]
    """GX's counts and ``success_percent``, plus ``rows``, ``rows_validated`` and ``seconds``."""
    results: pd.DataFrame
    """One row per expectation (:data:`.expectation_results.RESULT_COLUMNS`), failures first."""


def sample(frame: pd.DataFrame, rows: int | None) -> pd.DataFrame:
    """``frame`` itself when small, else ``rows`` evenly spaced rows (first and last included)."""
    if rows is None or len(frame) <= rows:
        return frame
    if rows < 1:
        raise ValueError(f"sample_rows must be positive, got {rows}")
    positions = np.unique(np.linspace(0, len(frame) - 1, rows).round().astype(np.int64))
    return frame.iloc[positions].reset_index(drop=True)


def gx_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy GX validates reliably: categoricals as ``object`` of ``str`` (nulls kept)."""
    out = frame.copy(deep=False)
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = col.astype(object).where(col.notna(), None)
    return out


def expectation_label(config: Any) -> str:
    """``"<expectation type>(<column(s)>)"``, as :attr:`ExpectationsRun.failed` lists them."""
    return f"{config.type}({expectation_columns(config)})"


@contextmanager
def _locked(docs_root: Path) -> Iterator[None]:
    docs_root.mkdir(parents=True, exist_ok=True)
    with open(docs_root / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _context(docs_root: Path) -> Any:
    """The file-mode context rooted at ``docs_root`` (scaffolded on first use), analytics and
    progress bars off (both persisted in its ``great_expectations.yml``)."""
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", context_root_dir=str(docs_root))
    bars = context.variables.progress_bars
    bars_on = bars is None or bool(getattr(bars, "globally", None) or dict(bars).get("globally"))
    if context.config.analytics_enabled is not False or bars_on:
        context.config.analytics_enabled = False
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    return context


def _get_or_add(collection: Any, name: str, make: Any) -> Any:
    try:
        return collection.get(name)
    except Exception:
        return collection.add(make())


def _checkpoint(context: Any, source: str, symbols: Sequence[str] | None) -> Any:
    gx = import_great_expectations()
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = datasource.get_asset(source)
    except LookupError:
        asset = datasource.add_dataframe_asset(source)
    try:
        batch = asset.get_batch_definition(BATCH_DEFINITION)
    except (KeyError, ValueError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    suite = context.suites.add_or_update(suite_for(source, symbols))
    validation = _get_or_add(
        context.validation_definitions,
        source,
        lambda: gx.ValidationDefinition(name=source, data=batch, suite=suite),
    )
    checkpoint = _get_or_add(
        context.checkpoints, source, lambda: _bare_checkpoint(source, validation)
    )
    if checkpoint.actions:  # saved with a data-docs action by an older version: no HTML now
        checkpoint = context.checkpoints.add_or_update(_bare_checkpoint(source, validation))
    return checkpoint


def _bare_checkpoint(source: str, validation: Any) -> Any:
    """The source's checkpoint: stores the result, renders nothing (no data-docs action)."""
    return import_great_expectations().Checkpoint(
        name=source, validation_definitions=[validation], actions=[], result_format="SUMMARY"
    )


def run_expectations(
    frame: pd.DataFrame,
    source: str,
    partition_key: str,
    docs_root: Path,
    sample_rows: int | None = 200_000,
    symbols: Sequence[str] | None = None,
) -> ExpectationsRun:
    """Validate ``frame`` (a canonical ``source`` frame); return its result per expectation.

    The result is stored under the suite ``vvv.<source>`` and the run name ``partition_key``
    (``/`` replaced), and returned as a table (see :mod:`.expectation_results`). Frames longer than
    ``sample_rows`` are sampled (see the module docstring); ``None`` validates every row.
    ``symbols`` adds a value-set expectation on ``symbol`` (the suite is updated to match).
    """
    started = time.perf_counter()
    docs_root = Path(docs_root)
    data = gx_ready(sample(frame, sample_rows))
    with _locked(docs_root):
        context = _context(docs_root)
        checkpoint = _checkpoint(context, source, symbols)
        run_id = import_great_expectations().RunIdentifier(
            run_name=run_name(partition_key), run_time=pd.Timestamp.now(tz="UTC")
        )
        result = checkpoint.run(batch_parameters={"dataframe": data}, run_id=run_id)
    (validation,) = result.run_results.values()
    failed = [expectation_label(r.expectation_config) for r in validation.results if not r.success]
    stats = {key: float(value) for key, value in validation.statistics.items() if value is not None}
    stats.update(
        rows=float(len(frame)),
        rows_validated=float(len(data)),
        seconds=time.perf_counter() - started,
    )
    return ExpectationsRun(
        success=bool(validation.success),
        evaluated=int(validation.statistics["evaluated_expectations"]),
        failed=failed,
        statistics=stats,
        results=result_rows(validation.results),
    )


def run_name(partition_key: str) -> str:
    """The GX run name of a partition (GX's file store rejects ``/`` and ``\\`` in keys)."""
    return partition_key.replace("/", "_").replace("\\", "_")


def results_dir(docs_root: Path) -> Path:
    """Where the context at ``docs_root`` stores every run's result (JSON, one folder per suite)."""
    return Path(docs_root) / "uncommitted" / "validations"
