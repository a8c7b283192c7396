"""The package's shape holds: import-linter's contracts (``[tool.importlinter]`` in
pyproject.toml: pure packages never import Dagster nor the Dagster wing, layers import downward,
kernels know no stores) and private Dagster names imported in one adapter module only."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vvv_pipeline"
ADAPTER = PACKAGE / "defs" / "dagster_internals.py"


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "3 kept" in result.stdout, result.stdout


def private_dagster_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {n}"
            for n in names
            if n.startswith("dagster._")
        ]
    return found


def test_private_dagster_names_are_imported_by_the_adapter_only():
    offenders = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != ADAPTER
        for line in private_dagster_imports(path)
    ]
    assert offenders == []
    assert private_dagster_imports(ADAPTER), "the adapter itself imports the private names"
