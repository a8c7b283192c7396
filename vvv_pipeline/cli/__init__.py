"""The ``vvv-pipeline`` command: argument checks, runs launched through the instance, reports."""

import logging
import os
import sys

from vvv_pipeline.cli.commands import main

__all__ = ["entry", "main"]


def entry() -> None:
    """The console script: :func:`main`, then an exit without the interpreter's teardown.

    Once ``main`` has returned, every store is closed and every run recorded; what is left is
    Python finalizing the few thousand modules Dagster, pandas, ArcticDB and great-expectations
    loaded, about 2 s after a ``run`` on this machine, for nothing anyone reads. Output and log
    handlers are flushed first. An exception or an argument error still leaves the usual way.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
