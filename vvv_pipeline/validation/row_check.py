"""Dataframe-level checks whose failure cases are the failing rows' labels, not their cells.

Pandera reports a dataframe-level check that returns a boolean Series as the failing rows with
every column, then reshapes them to one case per cell with ``DataFrame.unstack``. On a frame of
mixed dtypes pandas unstacks row by row in Python: 50,000 duplicate ids in a 100,000-row frame
took 20 s, where the check itself takes milliseconds. :class:`RowCheck` is a ``pandera.Check``
with its own pandas backend (pandera's ``register_backend`` extension point) that reports the
failing rows as a Series of their labels instead: one case per row, its ``index`` the row, so
``failure_cases`` still says which rows broke which rule. Column checks keep pandera's own
backend; nothing else in pandera changes.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.api.base.checks import CheckResult
from pandera.backends.pandas.checks import PandasCheckBackend


class RowCheck(pa.Check):
    """A registered check method, run on a frame, reporting failing rows by label."""

    @classmethod
    def of(cls, check: pa.Check) -> RowCheck:
        """The same check function, statistics, name, error and description, as a RowCheck."""
        return cls(
            check._check_fn,
            ignore_na=check.ignore_na,
            name=check.name,
            error=check.error,
            description=check.description,
            statistics=check.statistics,
        )


class RowFailureBackend(PandasCheckBackend):
    def postprocess_table_with_field_output(
        self, check_obj: pd.DataFrame, check_output: pd.Series
    ) -> CheckResult:
        passed = bool(check_output.all())
        failing = None
        if not passed:
            labels = check_obj.index[~check_output.to_numpy(dtype=bool)]
            failing = pd.Series(labels, index=labels)
        return CheckResult(check_output, passed, check_obj, failing)


RowCheck.register_backend(pd.DataFrame, RowFailureBackend)
