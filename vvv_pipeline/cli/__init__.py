"""The ``vvv-pipeline`` command: argument checks, runs launched through the instance, reports."""

from vvv_pipeline.cli.commands import main

__all__ = ["main"]
