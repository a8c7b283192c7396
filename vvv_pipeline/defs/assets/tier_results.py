"""The validation tiers' latest per-partition results, read back from the Dagster instance."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.dagster_internals import PartitionKeyFilter
from vvv_pipeline.validation.gate import TIER1, check_names

TIER_RESULT_COLUMNS = ["source", "partition", "check", "tier", "passed", "severity", "summary"]


def latest_tier_results(
    instance: dg.DagsterInstance, sources: Sequence[str], partition: str
) -> pd.DataFrame:
    """One row per (source, check): the latest evaluation of ``partition`` (none if never run)."""
    rows = []
    for source in sources:
        for check in check_names(source):
            key = dg.AssetCheckKey(dg.AssetKey(source), check)
            history = instance.event_log_storage.get_asset_check_execution_history(
                key, limit=1, partition_filter=PartitionKeyFilter(key=partition)
            )
            evaluation = _evaluation(history[0]) if history else None
            if evaluation is None:
                continue
            summary = evaluation.metadata.get("summary")
            rows.append(
                {
                    "source": source,
                    "partition": partition,
                    "check": check,
                    "tier": int(check[4]),
                    "passed": bool(evaluation.passed),
                    "severity": "ERROR" if check == TIER1 else "WARN",
                    "summary": str(summary.value) if summary is not None else "",
                }
            )
    return pd.DataFrame(rows, columns=TIER_RESULT_COLUMNS)


def _evaluation(record) -> dg.AssetCheckEvaluation | None:
    if record.event is None or record.event.dagster_event is None:
        return None
    data = record.event.dagster_event.event_specific_data
    return data if isinstance(data, dg.AssetCheckEvaluation) else None
