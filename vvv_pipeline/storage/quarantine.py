"""Quarantine: rows rejected by tier 1, kept with why, where and when, ready to replay.

ArcticDB library ``quarantine``, one symbol per source and partition
(``{source}/{partition_key}``), holding the rejected rows in the canonical columns (``ts`` as
the index) plus ``rejected_by`` (the tier-1 rules each row broke, comma-separated),
``partition_key``, ``rejected_at`` and ``run_id``. Materializing a partition replaces that
partition's quarantine (a clean partition deletes it), so the library always holds the latest
rejection of each partition; like the tick partitions, two runs never write the same symbol,
and a clean partition costs one existence lookup. A frame-level failure (e.g. a tz-naive
``ts``) quarantines every row of the partition as it came.
"""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.storage.arctic import library_for, library_lock

LIBRARY = "quarantine"
EXTRA_COLUMNS = ("rejected_by", "partition_key", "rejected_at", "run_id")


def quarantine_symbol(source: str, partition_key: str) -> str:
    return f"{source}/{partition_key}"


class QuarantineStore:
    def __init__(self, uri: str):
        self.uri = uri

    def _library(self):
        return library_for(self.uri, LIBRARY)

    def replace_partition(
        self,
        source: str,
        partition_key: str,
        rows: pd.DataFrame,
        rules: pd.Series,
        run_id: str,
    ) -> int:
        """Make ``rows`` (with their broken ``rules``) the partition's quarantine; returns count."""
        lib = self._library()
        name = quarantine_symbol(source, partition_key)
        if rows.empty:
            with library_lock(self.uri, LIBRARY):
                if lib.has_symbol(name):
                    lib.delete(name)
            return 0
        frame = rows.reset_index(drop=True).copy()
        frame["rejected_by"] = rules.to_numpy()
        frame["partition_key"] = partition_key
        frame["rejected_at"] = pd.Timestamp.now(tz="UTC").isoformat()
        frame["run_id"] = run_id
        frame = frame.sort_values("ts", kind="stable")  # ArcticDB wants a sorted index
        indexed = frame.set_index("ts")
        with library_lock(self.uri, LIBRARY, writing=[indexed]):
            lib.write(name, indexed, prune_previous_versions=True)
        return len(frame)

    def partitions(self, source: str) -> list[str]:
        prefix = f"{source}/"
        names = self._library().list_symbols()
        return sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix))

    def read(self, source: str, partition_key: str | None = None) -> pd.DataFrame:
        """Quarantined rows of one partition of ``source``, or of all its partitions."""
        keys = [partition_key] if partition_key is not None else self.partitions(source)
        lib = self._library()
        with library_lock(self.uri, LIBRARY, shared=True):
            frames = [
                lib.read(quarantine_symbol(source, key)).data.reset_index()
                for key in keys
                if lib.has_symbol(quarantine_symbol(source, key))
            ]
        if not frames:
            return pd.DataFrame(columns=["ts", *EXTRA_COLUMNS])
        return pd.concat(frames, ignore_index=True)

    def summary(self, sources: list[str]) -> pd.DataFrame:
        """Rejected rows per (source, partition, rule)."""
        parts = []
        for source in sources:
            rows = self.read(source)
            if len(rows):
                counts = rows.groupby(["partition_key", "rejected_by"]).size().rename("rows")
                parts.append(counts.reset_index().assign(source=source))
        if not parts:
            return pd.DataFrame(columns=["source", "partition_key", "rejected_by", "rows"])
        columns = ["source", "partition_key", "rejected_by", "rows"]
        return pd.concat(parts, ignore_index=True)[columns]

    def keep_only(
        self, source: str, partition_key: str, keep: pd.Series, reasons: pd.Series | None = None
    ) -> int:
        """Keep the partition's rows where ``keep`` is True (``read`` order); returns rows left.

        ``reasons`` (one per kept row, in order) replaces their ``rejected_by``: what a replay
        found them to break now.
        """
        rows = self.read(source, partition_key)[keep.to_numpy()]
        rules = rows.pop("rejected_by")
        if reasons is not None:
            rules = pd.Series(reasons.to_numpy(), index=rows.index, dtype=object)
        for column in EXTRA_COLUMNS[1:]:
            rows.pop(column)
        return self.replace_partition(source, partition_key, rows, rules, "replay")

    def rewrite(self, source: str, partition_key: str, rows: pd.DataFrame) -> int:
        """Put operator-edited rows back (as :meth:`read` gave them, extra columns included).

        The fix before a replay: correct the values in the frame ``read`` returned, then
        ``rewrite`` it; the rows keep their ``rejected_by`` until the replay judges them again.
        """
        rows = rows.reset_index(drop=True).copy()
        rules = rows.pop("rejected_by")
        run_ids = rows.pop("run_id")
        for column in EXTRA_COLUMNS[1:3]:
            rows.pop(column)
        run_id = str(run_ids.iloc[0]) if len(run_ids) else "edited"
        return self.replace_partition(source, partition_key, rows, rules, run_id)
