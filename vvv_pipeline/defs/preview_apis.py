"""Dagster APIs this project uses on purpose although Dagster marks them beta or preview.

Exactly these warnings are silenced; every other Dagster warning stays visible.

* ``backfill_policy=`` on ``@asset`` (beta): single-run backfills over partition ranges are the
  whole point of the derived layers and of the rate-limit policy of real providers.
* ``partitions_def=`` on ``AssetCheckSpec`` (preview): the validation tiers are recorded per
  partition, like the assets they check.
* ``allow_nonexistent_upstream_partitions=`` on ``TimeWindowPartitionMapping`` (beta): a session
  closes before its calendar day's news partition exists; tier 3 and flow read the news stored
  so far instead of failing (the news-completion sensor rebuilds them later).
* ``dagster_pandera.pandera_schema_to_dagster_type`` (beta): each source asset's Dagster type and
  column schema come from its pandera contract.
"""

import warnings

import dagster as dg

SILENCED = (
    (r"Parameter `backfill_policy` of function `asset` is currently in beta", dg.BetaWarning),
    (
        r"Specifying a partitions_def on an AssetCheckSpec is currently in preview",
        dg.PreviewWarning,
    ),
    (
        r"Parameter `allow_nonexistent_upstream_partitions` of initializer "
        r"`TimeWindowPartitionMapping.__init__` is currently in beta",
        dg.BetaWarning,
    ),
    (r"Function `pandera_schema_to_dagster_type` is currently in beta", dg.BetaWarning),
)

for message, category in SILENCED:
    warnings.filterwarnings("ignore", message=message, category=category)
