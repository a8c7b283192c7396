"""A ``DAGSTER_HOME`` for tests: the shipped ``dagster.yaml`` with its folders moved into it.

Tests that need a real instance use the project's configuration as it ships (locked SQLite
storage, the run launcher, run monitoring, telemetry off), so what they prove holds for the
embedded deployment; only the ``base_dir`` folders move from ``data/dagster`` into the home, and
a caller may replace whole sections (``storage`` for PostgreSQL, ``run_coordinator``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_INSTANCE_YAML = REPO_ROOT / "dagster.yaml"
PROJECT_DATA_DIR = "data/dagster"
PROJECT_STORAGE = {
    key: value
    for key, value in yaml.safe_load(PROJECT_INSTANCE_YAML.read_text())["storage"]["custom"].items()
    if key in ("module", "class")
}
"""The storage class the shipped ``dagster.yaml`` names (the project's locked SQLite storage
with the kept-open event log)."""


def project_instance_yaml(home: Path, replace: Mapping[str, Any] | None = None) -> str:
    """The shipped ``dagster.yaml``, its ``base_dir`` folders moved from ``data/dagster`` to
    ``home`` and the sections of ``replace`` swapped in.

    A relative ``base_dir`` outside ``data/dagster`` is an error rather than a silent write into
    the working tree.
    """
    config = yaml.safe_load(PROJECT_INSTANCE_YAML.read_text())
    home = home.resolve()

    def relocate(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: _relocated_dir(value, home) if key == "base_dir" else relocate(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [relocate(item) for item in node]
        return node

    return yaml.safe_dump({**relocate(config), **(replace or {})}, sort_keys=False)


def write_home(home: Path, replace: Mapping[str, Any] | None = None) -> Path:
    """``home`` holding :func:`project_instance_yaml`; returns ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(project_instance_yaml(home, replace))
    return home


def _relocated_dir(value: Any, home: Path) -> str:
    path = Path(str(value))
    if path.is_absolute():
        return str(path)
    if not path.is_relative_to(PROJECT_DATA_DIR):
        raise ValueError(f"{PROJECT_INSTANCE_YAML}: base_dir {value!r} is not under data/dagster")
    return str(home / path.relative_to(PROJECT_DATA_DIR))


@contextmanager
def project_instance_for_test() -> Iterator[dg.DagsterInstance]:
    """Dagster's throwaway test instance on the shipped storage class (:data:`PROJECT_STORAGE`)
    instead of Dagster's stock SQLite storage, in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        storage = {"custom": {**PROJECT_STORAGE, "config": {"base_dir": f"{folder}/storage"}}}
        with dg.instance_for_test(overrides={"storage": storage}, temp_dir=folder) as instance:
            yield instance
