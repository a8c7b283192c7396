"""The README stays true: its test command is .ci/run's, its schema tables are the code's."""

import re
from pathlib import Path

from vvv_pipeline.schemas import SOURCE_SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def schemas_markdown() -> str:
    return "\n\n".join(
        f"**`{s.name}`** — {s.doc}\n\n{s.markdown()}" for s in SOURCE_SCHEMAS.values()
    )


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip().splitlines()[-1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_schema_tables_match_the_code():
    block = README.split("<!-- schemas:start -->")[1].split("<!-- schemas:end -->")[0]
    assert block.strip() == schemas_markdown()


def metadata_markdown() -> str:
    from vvv_pipeline.metadata import TIER_COLUMNS, markdown

    return "\n\n".join(f"**{tier}**\n\n{markdown(cols)}" for tier, cols in TIER_COLUMNS.items())


def test_readme_metadata_tables_match_the_code():
    block = README.split("<!-- metadata:start -->")[1].split("<!-- metadata:end -->")[0]
    assert block.strip() == metadata_markdown()


def analytics_markdown() -> str:
    from vvv_pipeline.analytics import (
        flow,
        fusion,
        oi_spikes,
        profile,
        regime,
        risk,
        velocity,
        zones,
    )
    from vvv_pipeline.metadata import markdown

    tables = {
        "market profile (`{SYMBOL}`)": profile.COLUMNS,
        "market profile levels (`{SYMBOL}/levels`)": profile.LEVEL_COLUMNS,
        "zones": zones.COLUMNS,
        "regime": regime.COLUMNS,
        "velocity": velocity.COLUMNS,
        "flow": flow.COLUMNS,
        "risk": risk.COLUMNS,
        "OI spikes (`{PAIR}/spikes`)": oi_spikes.SPIKE_COLUMNS,
        "OI spikes daily (`{PAIR}`)": oi_spikes.COLUMNS,
        "signals": fusion.COLUMNS,
    }
    return "\n\n".join(f"**{name}**\n\n{markdown(cols)}" for name, cols in tables.items())


def test_readme_analytics_tables_match_the_code():
    block = README.split("<!-- analytics:start -->")[1].split("<!-- analytics:end -->")[0]
    assert block.strip() == analytics_markdown()
