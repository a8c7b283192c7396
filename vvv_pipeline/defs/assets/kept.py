"""Partitions whose whole fetch tier 1 rejected keep their previous stored version.

Why: a re-run whose every row fails, or whose frame does (a tz-naive ``ts``), would otherwise
replace a good stored partition with nothing. Such a partition's tier-1 check fails and its
quarantine holds the new rows, but its stored rows stay readable. Tick partitions are simply not
written; the warehouse IO manager deletes a run's whole window before inserting, so the kept
keys reach it as output metadata (``KEPT_PARTITIONS``, also shown in the UI) and it spares their
windows.
"""

from __future__ import annotations

import dagster as dg

from vvv_pipeline.storage.warehouse_tables import KEPT_PARTITIONS


def keep_previous(context: dg.AssetExecutionContext, kept: list[str]) -> None:
    """Record ``kept`` on the asset's output (before it is yielded) and say so in the log."""
    if not kept:
        return
    output = context.assets_def.get_output_name_for_asset_key(context.assets_def.key)
    context.add_output_metadata({KEPT_PARTITIONS: dg.MetadataValue.json(kept)}, output_name=output)
    shown = ", ".join(kept[:10]) + (f" (+{len(kept) - 10})" if len(kept) > 10 else "")
    context.log.warning(
        f"tier 1 rejected every fetched row of {shown}: their previously stored rows are kept "
        "and their tier-1 check fails"
    )
