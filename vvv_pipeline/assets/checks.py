"""The validation tiers as Dagster asset checks, evaluated by the source asset itself.

Each source asset declares its tier checks (``check_specs``, partitioned like the asset) and
evaluates them on the frame it just fetched, so no check ever re-reads stored partitions. In
a single-partition run the results are the step's check results. In a single-run backfill
over a range, each partition's result is logged as its own ``AssetCheckEvaluation`` (tagged
with the partition), and the step returns one summary result per check over the range —
Dagster 1.13 records a check result of a range run without a partition.
"""

from dataclasses import replace

import dagster as dg
import pandas as pd

from vvv_pipeline.assets.metadata import markdown_table
from vvv_pipeline.tiers.expectations import ExpectationsRun
from vvv_pipeline.tiers.gate import TIER1, TIER2, TIER3, TIER4, CheckOutcome

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
    "source's great-expectations suite with a link to its data docs.",
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
    """A tier-4 outcome that also carries the great-expectations result and its data docs."""
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
        links={**outcome.links, "gx_data_docs": str(run.docs_index)},
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
    return meta


def report(
    context: dg.AssetExecutionContext, by_partition: dict[str, list[CheckOutcome]]
) -> list[dg.AssetCheckResult]:
    """Check results for the step; per-partition evaluation events when the run spans a range."""
    asset_key = context.assets_def.key
    names = [o.name for o in next(iter(by_partition.values()))]
    if len(by_partition) == 1:
        (outcomes,) = by_partition.values()
        return [
            dg.AssetCheckResult(
                check_name=o.name,
                passed=o.passed,
                severity=_severity(o.name),
                metadata=outcome_metadata(o),
            )
            for o in outcomes
        ]
    for key, outcomes in by_partition.items():
        for o in outcomes:
            context.log_event(
                dg.AssetCheckEvaluation(
                    asset_key=asset_key,
                    check_name=o.name,
                    passed=o.passed,
                    metadata=outcome_metadata(o),
                    severity=_severity(o.name),
                    blocking=o.name in BLOCKING,
                    partition=key,
                )
            )
    results = []
    for index, name in enumerate(names):
        failed = [key for key, outcomes in by_partition.items() if not outcomes[index].passed]
        summary = (
            f"{len(failed)} of {len(by_partition)} partitions failed: {', '.join(failed[:20])}"
            if failed
            else f"all {len(by_partition)} partitions passed"
        )
        results.append(
            dg.AssetCheckResult(
                check_name=name,
                passed=not failed,
                severity=_severity(name),
                metadata={"summary": dg.MetadataValue.text(summary)},
            )
        )
    return results
