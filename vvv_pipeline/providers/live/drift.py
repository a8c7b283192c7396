"""Schema-drift guards for provider records.

Providers add, rename and drop fields without notice. A missing *required* field must stop
the fetch with an error naming provider, endpoint and field (a silent NaN column would pass
downstream as data); an *unknown* new field is harmless but worth one log line, so the
first sighting per (provider, endpoint, field) is logged and later ones stay silent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vvv_pipeline.providers.errors import SchemaDriftError

LOGGER = logging.getLogger("vvv_pipeline.providers")

_seen_unknown: set[tuple[str, str, str]] = set()
_seen_lock = threading.Lock()


def require(record: Mapping[str, Any], field: str, provider: str, endpoint: str) -> Any:
    """``record[field]``, or :class:`SchemaDriftError` naming provider, endpoint and field.

    A record that is not a mapping at all (a drifted envelope) is reported the same way.
    """
    if not isinstance(record, Mapping):
        raise SchemaDriftError(
            provider, endpoint, field, f"expected an object holding {field!r}, got {_kind(record)}"
        )
    try:
        return record[field]
    except KeyError:
        raise SchemaDriftError(provider, endpoint, field) from None


def note_unknown_fields(
    record: Mapping[str, Any], known: Collection[str], provider: str, endpoint: str
) -> None:
    """Log each field of ``record`` outside ``known`` once per (provider, endpoint, field)."""
    fresh: list[str] = []
    with _seen_lock:
        for name in record:
            if name in known:
                continue
            key = (provider, endpoint, str(name))
            if key not in _seen_unknown:
                _seen_unknown.add(key)
                fresh.append(str(name))
    for name in fresh:
        LOGGER.info("%s %s: ignoring unknown field %r", provider, endpoint, name)


def forget_unknown_fields() -> None:
    """Reset the once-per-field memory (tests use it to observe the first log line again)."""
    with _seen_lock:
        _seen_unknown.clear()


def _kind(value: object) -> str:
    return type(value).__name__


def records_frame(
    records: Any, required: Collection[str], known: Collection[str], provider: str, endpoint: str
) -> pd.DataFrame:
    """A column frame of JSON ``records``; every required field present and non-null in all.

    Unknown fields are noted once (see :func:`note_unknown_fields`) and kept as columns.
    """
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        odd = (
            [r for r in records if not isinstance(r, Mapping)] if isinstance(records, list) else []
        )
        first = odd[0] if odd else records
        raise SchemaDriftError(
            provider, endpoint, "data", f"expected a list of objects, got {_kind(first)}"
        )
    if not records:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in required})
    frame = pd.DataFrame.from_records(records)
    for name in required:
        if name not in frame.columns:
            raise SchemaDriftError(provider, endpoint, name)
        nulls = frame[name].isna().to_numpy()
        if nulls.any():
            raise SchemaDriftError(
                provider,
                endpoint,
                name,
                f"required field {name!r} is missing or null in {int(nulls.sum())} record(s)",
            )
    note_unknown_fields(dict.fromkeys(frame.columns), known, provider, endpoint)
    return frame


def parse_numbers(values: pd.Series, field: str, provider: str, endpoint: str) -> np.ndarray:
    """Float values of string-numbers or JSON numbers; SchemaDriftError on an unreadable one.

    ``astype`` parses each string correctly rounded; ``pd.to_numeric``'s fast parser is off in
    the last bit for about a fifth of long decimal strings, so it only locates a bad value.
    """
    try:
        return values.astype("float64").to_numpy()
    except (TypeError, ValueError):
        parsed = pd.to_numeric(values, errors="coerce")
        _reject_unreadable(values, parsed.isna().to_numpy(), field, provider, endpoint)
        return parsed.to_numpy(dtype=np.float64)


def parse_times(values: pd.Series, field: str, provider: str, endpoint: str) -> pd.Series:
    """UTC timestamps of ISO-8601 strings in any of the ISO spellings providers mix."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    _reject_unreadable(values, parsed.isna().to_numpy(), field, provider, endpoint)
    return parsed


def _reject_unreadable(
    raw: pd.Series, failed: np.ndarray, field: str, provider: str, endpoint: str
) -> None:
    bad = failed & raw.notna().to_numpy()
    if bad.any():
        example = raw.to_numpy()[np.flatnonzero(bad)[0]]
        raise SchemaDriftError(
            provider,
            endpoint,
            field,
            f"field {field!r} holds an unreadable value {example!r} in {int(bad.sum())} record(s)",
        )
