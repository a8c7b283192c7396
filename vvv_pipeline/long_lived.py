"""The objects a process imports, kept out of the garbage collector's full passes.

Once Dagster, pandas, ArcticDB, the code location and great-expectations are imported, a process
of this pipeline tracks about half a million objects that live as long as it does (modules,
classes, functions, the definitions). Every full collection walks all of them (0.2 to 0.4 s
each here) and writes to each one's header as it goes, which in a forked child (the next
partition's, a derived chunk's part, a report page) copies every parent page it walks.
``gc.freeze()`` moves them to the permanent generation, which collections skip.

Freeze only where imports are done and no run's data is alive yet: the cycle collector never
frees a frozen object (reference counting still does), so a frame frozen by mistake that later
ends in a reference cycle would stay in memory for the life of the process.
"""

from __future__ import annotations

import gc


def freeze_imported() -> None:
    """Move every object the collector tracks now to the permanent generation."""
    gc.freeze()
