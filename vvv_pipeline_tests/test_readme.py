"""The README and the documentation site stay true.

The README's test command is .ci/run's, the README stays a short introduction whose links lead
somewhere, the tables the docs pages render from code equal the code's, and the site builds
with ``mkdocs build --strict``, with and without the browser tests' screenshots.
"""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from vvv_pipeline.schemas import SOURCE_SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
README_MAX_BYTES = 12 * 1024
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def generated_block(page: str, name: str) -> str:
    """The text of ``docs/<page>`` between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    text = (DOCS / page).read_text()
    return text.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0].strip()


def escape_cell_pipes(markdown: str) -> str:
    """The code's tables as the docs hold them: a ``|`` inside a row's last cell (outside code
    spans) is escaped, so it is not read as a cell boundary. Already escaped pipes stay."""
    lines, width = [], 0
    for line in markdown.splitlines():
        if not line.startswith("| "):
            lines.append(line)
            width = 0
            continue
        width = width or line.count(" | ") + 1  # the header row: column names hold no pipe
        *first, last = line[2:-2].split(" | ", width - 1)
        spans = last.split("`")
        spans[0::2] = [re.sub(r"(?<!\\)\|", r"\\|", text) for text in spans[0::2]]
        lines.append("| " + " | ".join([*first, "`".join(spans)]) + " |")
    return "\n".join(lines)


def schemas_markdown() -> str:
    return "\n\n".join(
        f"**`{s.name}`** — {s.doc}\n\n{s.markdown()}" for s in SOURCE_SCHEMAS.values()
    )


def metadata_markdown() -> str:
    from vvv_pipeline.metadata_tiers import TIER_COLUMNS, markdown

    return "\n\n".join(f"**{tier}**\n\n{markdown(cols)}" for tier, cols in TIER_COLUMNS.items())


def analytics_markdown() -> str:
    from vvv_pipeline.analytics import (
        cross_venue,
        flow,
        forecast,
        fusion,
        oi_spikes,
        portfolio,
        profile,
        regime,
        risk,
        trap_events,
        velocity,
        zones,
    )
    from vvv_pipeline.metadata_tiers import markdown

    tables = {
        "market profile (`{SYMBOL}`)": profile.COLUMNS,
        "market profile levels (`{SYMBOL}/levels`)": profile.LEVEL_COLUMNS,
        "zones": zones.COLUMNS,
        "regime": regime.COLUMNS,
        "velocity": velocity.COLUMNS,
        "flow": flow.COLUMNS,
        "risk": risk.COLUMNS,
        "portfolio (`portfolio`)": portfolio.COLUMNS,
        "portfolio positions (`portfolio/positions`)": portfolio.POSITION_COLUMNS,
        "forecast (`{SYMBOL}`)": forecast.COLUMNS,
        "forecast model (`{SYMBOL}/model`)": forecast.MODEL_COLUMNS,
        "OI spikes (`{PAIR}/spikes`)": oi_spikes.SPIKE_COLUMNS,
        "OI spikes daily (`{PAIR}`)": oi_spikes.COLUMNS,
        "cross-venue daily (`{PAIR}`)": cross_venue.COLUMNS,
        "cross-venue per venue (`{PAIR}/venues`)": cross_venue.VENUE_COLUMNS,
        "cross-venue open interest per minute (`{PAIR}/oi`)": cross_venue.AGGREGATE_COLUMNS,
        "traps and spoofing daily (`{SYMBOL}`; equities without `oi_*`)": trap_events.COLUMNS,
        "trap and spoof events (`{SYMBOL}/events`)": trap_events.EVENT_COLUMNS,
        "signals": fusion.COLUMNS,
    }
    return "\n\n".join(f"**{name}**\n\n{markdown(cols)}" for name, cols in tables.items())


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip().splitlines()[-1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines
    assert test_command in (DOCS / "tests.md").read_text().splitlines()


def test_readme_is_a_short_introduction_whose_links_resolve():
    assert len(README.encode()) <= README_MAX_BYTES
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert any(t.startswith("docs/") for t in local)
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_docs_schema_tables_match_the_code():
    assert generated_block("schemas.md", "schemas") == escape_cell_pipes(schemas_markdown())


def test_docs_metadata_tables_match_the_code():
    block = generated_block("bars-and-tiers.md", "metadata")
    assert block == escape_cell_pipes(metadata_markdown())


def test_docs_analytics_tables_match_the_code():
    block = generated_block("analytics.md", "analytics")
    assert block == escape_cell_pipes(analytics_markdown())


def build_docs(site: Path, screenshots: Path) -> str:
    """``mkdocs build --strict`` of the repository's site into ``site``; the page it wrote about
    the screenshots found in ``screenshots``. Fails with mkdocs' output when the build fails."""
    env = {**os.environ, "VVV_ARTIFACTS_DIR": str(screenshots), "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    command += ["--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return (site / "screenshots.html").read_text()


def test_docs_build_strict(tmp_path):
    """A clean clone has no screenshots: the strict build passes and the page says so."""
    empty = tmp_path / "no_screenshots"
    empty.mkdir()
    page = build_docs(tmp_path / "site", empty)
    assert (tmp_path / "site" / "index.html").is_file()
    assert "No screenshots in this build" in page
    assert not (tmp_path / "site" / "img" / "screenshots").exists()


def test_docs_show_the_browser_tests_screenshots(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ("daily_report.png", "dagster_ui_01_asset_graph_groups.png"):
        (shots / name).write_bytes(PNG_1X1)
    page = build_docs(tmp_path / "site", shots)
    assert "No screenshots in this build" not in page
    for name in ("daily_report.png", "dagster_ui_01_asset_graph_groups.png"):
        assert (tmp_path / "site" / "img" / "screenshots" / name).read_bytes() == PNG_1X1
        assert f'src="img/screenshots/{name}"' in page
