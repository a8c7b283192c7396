"""The validation tiers as Dagster asset checks, evaluated by the source asset itself.

Each source asset declares its tier checks (``check_specs``, partitioned like the asset) and
evaluates them on the frame it just fetched, so no check ever re-reads stored partitions. The
asset yields its materialization first and then one ``AssetCheckEvaluation`` per partition and
check (:func:`check_events`), each naming its partition, a one-line description and the
materialization this run stored for that partition. The UI counts a partition's check as passed
or failed only when its latest evaluation targets the partition's latest materialization; an
evaluation logged before the materialization exists targets nothing and reads "Missing". This
holds in single-run range backfills too, where a plain ``AssetCheckResult`` would be recorded
without a partition.
"""

from collections.abc import Iterator, Sequence
from dataclasses import replace

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.assets.ui_metadata import markdown_table
from vvv_pipeline.defs.dagster_internals import (
    AssetCheckEvaluationTargetMaterializationData,
)
from vvv_pipeline.validation.expectation_results import results_markdown
from vvv_pipeline.validation.expectations import ExpectationsRun
from vvv_pipeline.validation.gate import TIER1, TIER2, TIER3, TIER4, CheckOutcome

DESCRIPTIONS = {
    TIER1: "Tier 1, structure and integrity (blocking, ERROR): dtypes, nulls, ranges, unique "
    "ids, UTC timestamps inside the partition window, known symbols and codes, OCC symbols. "
    "Failing rows go to quarantine; downstream of a failed partition does not run.",
    TIER2: "Tier 2, session alignment and time zones (WARN): equity rows outside XNYS sessions "
    "(early closes included) or with a wrong extended-hours flag, timestamps that look shifted "
    "by the New York UTC offset, crypto rows outside the partition window.",
    TIER3: "Tier 3, continuity (WARN): runs of empty minutes inside sessions for liquid "
    "symbols, missing open-interest samples at the provider's cadence (5 s simulated, 5 min "
    "from Binance or Bybit; see the materialization's oi_cadence_seconds), minutes without "
    "crypto trades; reported as runs (symbol, start, end, length).",
    TIER4: "Tier 4, statistical quality (WARN): robust (MAD) price jumps and spikes, stale "
    "price runs, crossed/locked quote rates, volume spikes, duplicate-looking prints, plus the "
    "source's great-expectations suite, its result per expectation as a table (gx_results).",
}
BLOCKING = {TIER1}


def check_specs(
    asset_key: dg.AssetKey, partitions_def, names: list[str]
) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name,
            asset=asset_key,
            description=DESCRIPTIONS[name],
            blocking=name in BLOCKING,
            partitions_def=partitions_def,
        )
        for name in names
    ]


def with_expectations(outcome: CheckOutcome, run: ExpectationsRun) -> CheckOutcome:
    """A tier-4 outcome that also carries the great-expectations result, one row per
    expectation: readable in the UI itself, offline (GX's data docs need CDNs)."""
    counts = dict(outcome.counts)
    if run.failed:
        counts["gx_failed_expectations"] = len(run.failed)
    gx_summary = f"great-expectations: {run.evaluated} expectations, " + (
        "all met" if run.success else f"failed: {', '.join(run.failed[:10])}"
    )
    return replace(
        outcome,
        passed=outcome.passed and run.success,
        summary=f"{outcome.summary}; {gx_summary}",
        counts=counts,
        metrics={**outcome.metrics, "gx_success_percent": run.statistics.get("success_percent", 0)},
        tables={**outcome.tables, "gx_results": results_markdown(run.results)},
    )


def _severity(name: str) -> dg.AssetCheckSeverity:
    return dg.AssetCheckSeverity.ERROR if name in BLOCKING else dg.AssetCheckSeverity.WARN


def outcome_metadata(outcome: CheckOutcome) -> dict[str, dg.MetadataValue]:
    meta: dict[str, dg.MetadataValue] = {"summary": dg.MetadataValue.text(outcome.summary)}
    if outcome.counts:
        counts = pd.DataFrame(
            {"kind": list(outcome.counts), "count": list(outcome.counts.values())}
        )
        meta["counts"] = dg.MetadataValue.md(markdown_table(counts, max_rows=50))
        for kind, count in outcome.counts.items():
            meta[f"count/{kind}"] = dg.MetadataValue.int(count)
    if outcome.sample is not None and len(outcome.sample):
        meta["failing_rows_sample"] = dg.MetadataValue.md(markdown_table(outcome.sample, 20))
    if outcome.runs is not None and len(outcome.runs):
        meta["gap_runs"] = dg.MetadataValue.md(markdown_table(outcome.runs, 20))
    for name, value in outcome.metrics.items():
        meta[f"metric/{name}"] = dg.MetadataValue.float(float(value))
    for name, path in outcome.links.items():
        meta[name] = dg.MetadataValue.path(path)
    for name, table in outcome.tables.items():
        meta[name] = dg.MetadataValue.md(table)
    return meta


DESCRIPTION_CHARS = 200
"""Longest check description: the UI's execution history shows it on one line."""
LOOKUP_BATCH = 500
"""Partitions per materialization lookup: stays under SQLite's bound-variable limit."""


def one_line(summary: str) -> str:
    """The first line of ``summary``, cut to :data:`DESCRIPTION_CHARS`."""
    line = summary.strip().splitlines()[0] if summary.strip() else ""
    if len(line) <= DESCRIPTION_CHARS:
        return line
    return line[: DESCRIPTION_CHARS - 3] + "..."


def run_materializations(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, run_id: str, partitions: Sequence[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The materialization ``run_id`` stored for each of ``partitions`` (absent if none).

    Asked after the run yielded them, they are each partition's newest record unless another
    run wrote the partition since; then the partition is left out (this run's check result is
    no longer about the stored data, and the UI must not claim it is).
    """
    found: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
    for lo in range(0, len(partitions), LOOKUP_BATCH):
        batch = list(partitions[lo : lo + LOOKUP_BATCH])
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=batch), limit=len(batch)
        ).records
        for record in records:
            key = record.partition_key
            if key is not None and key not in found and record.run_id == run_id:
                found[key] = AssetCheckEvaluationTargetMaterializationData(
                    storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
                )
    return found


def check_events(
    context: dg.AssetExecutionContext, by_partition: dict[str, list[CheckOutcome]]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """Per-partition check evaluations, then the step's check outputs.

    Yield these after the asset's ``MaterializeResult``: Dagster stores the materializations
    before the generator resumes, so each evaluation can target its partition's. A failed
    blocking (tier 1) evaluation still fails the step, after everything is recorded.
    """
    asset_key = context.assets_def.key
    targets = run_materializations(
        context.instance, asset_key, context.run.run_id, list(by_partition)
    )
    for key, outcomes in by_partition.items():
        for o in outcomes:
            yield dg.AssetCheckEvaluation(
                asset_key=asset_key,
                check_name=o.name,
                passed=o.passed,
                metadata=outcome_metadata(o),
                target_materialization_data=targets.get(key),
                severity=_severity(o.name),
                description=one_line(o.summary),
                blocking=o.name in BLOCKING,
                partition=key,
            )
    selected = context.selected_asset_check_keys
    for output_name, spec in context.assets_def.check_specs_by_output_name.items():
        if spec.key in selected:  # the check's (empty) output; unselected ones must not appear
            yield dg.Output(None, output_name=output_name)
