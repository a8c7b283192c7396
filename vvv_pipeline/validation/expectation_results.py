"""A great-expectations run as a table a person reads in the check's metadata, offline.

One row per expectation: what was expected (type), of which column(s), whether it held, what GX
observed (aggregate expectations: the column list, a proportion) and, for row-wise expectations,
how many rows broke it, their share of the rows validated and a few of the values. Failures
come first so a failed check shows its cause at the top. Plain pandas, no GX import: the rows
are read from GX's result objects by attribute.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

RESULT_COLUMNS = [
    "expectation",
    "column",
    "success",
    "observed",
    "unexpected",
    "unexpected_percent",
    "unexpected_examples",
]
EXAMPLES = 3
"""Unexpected values shown per expectation (GX's SUMMARY format keeps up to 20)."""
CELL_CHARS = 80
"""Longest observed value or example list shown in a cell (a column list can be long)."""
ORDERED_LIST = "expect_table_columns_to_match_ordered_list"


def expectation_columns(config: Any) -> str:
    """The column(s) an expectation is about, comma-separated ("" for table-level ones)."""
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs and config.type != ORDERED_LIST:
        return ",".join(kwargs["column_list"])
    return ""


def _short(value: object) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def result_rows(results: Iterable[Any]) -> pd.DataFrame:
    """GX ``ExpectationValidationResult``s as rows of :data:`RESULT_COLUMNS`, failures first."""
    rows = []
    for r in results:
        found = dict(r.result or {})
        observed = found.get("observed_value")
        examples = found.get("partial_unexpected_list") or []
        rows.append(
            {
                "expectation": r.expectation_config.type,
                "column": expectation_columns(r.expectation_config),
                "success": bool(r.success),
                "observed": "" if observed is None else _short(observed),
                "unexpected": found.get("unexpected_count"),
                "unexpected_percent": found.get("unexpected_percent"),
                "unexpected_examples": _short(examples[:EXAMPLES]) if examples else "",
            }
        )
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    frame["unexpected"] = frame["unexpected"].astype("Int64")
    frame["unexpected_percent"] = frame["unexpected_percent"].astype("Float64")
    return frame.sort_values("success", kind="stable", ignore_index=True)


def results_markdown(results: pd.DataFrame) -> str:
    """The rows as a markdown table; empty counts (aggregate expectations) are left blank."""

    def cell(value: object) -> str:
        if value is None or value is pd.NA:
            return ""
        if pd.api.types.is_bool(value):
            return "pass" if value else "**FAIL**"
        if pd.api.types.is_float(value):
            return f"{value:.4g}"
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(RESULT_COLUMNS) + " |",
        "| " + " | ".join("---" for _ in RESULT_COLUMNS) + " |",
    ]
    for row in results.itertuples(index=False):
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)
