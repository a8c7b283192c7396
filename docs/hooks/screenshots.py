"""MkDocs hook: show the browser tests' screenshots on the UI screenshots page when they exist.

The browser tests save PNGs in ``$VVV_ARTIFACTS_DIR`` or ``data/artifacts/screenshots/``
(git-ignored), so a clean clone has none. At build time the first of the candidate folders that
holds PNGs is copied into the site under ``img/screenshots/`` and the page's gallery marker is
replaced by the images; without PNGs the marker becomes a note and the build still passes
``--strict``.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.structure.files import File

PAGE = "screenshots.md"
MARKER = "<!-- screenshots:gallery -->"
SITE_FOLDER = "img/screenshots"
CAPTIONS = {
    "dagster_ui_01_asset_graph_groups.png": "Global asset lineage, collapsed to its groups",
    "dagster_ui_02_metadata_tiers_list.png": "The metadata group's assets",
    "dagster_ui_03_lineage_upstream.png": "Upstream lineage of equity_time_bars",
    "dagster_ui_04_source_checks.png": "Validation checks of equity_ticks",
    "dagster_ui_05_automation.png": "Schedules and sensors",
    "dagster_ui_06_partitions_before.png": "Partitions of daily_ohlcv before a backfill",
    "dagster_ui_07_backfill_dialog.png": "Launching a backfill over two sessions",
    "dagster_ui_08_backfill_launched.png": "The launched backfill",
    "ui_truth_01_cli_run.png": "A run of vvv-pipeline run, before Re-execute all",
    "ui_truth_02_partition_2025-11-24.png": "equity_ticks 2025-11-24: that partition's own rows",
    "ui_truth_03_partition_2025-11-25.png": "equity_ticks 2025-11-25: that partition's own rows",
    "ui_truth_04_check_partitions.png": "tier1_structure by partition: the sessions passed",
    "ui_truth_05_reexecution_success.png": "The re-execution launched from the UI, succeeded",
    "ui_truth_06_hourly_sources_job_runs.png": "hourly_sources_job runs, with the re-execution",
    "ui_truth_07_calendar_day_sources_job_runs.png": "calendar_day_sources_job runs",
    "ui_truth_08_session_sources_job_runs.png": "session_sources_job runs",
    "ui_truth_09_coverage_report_job_runs.png": "coverage_report_job runs",
    "daily_report.png": "A daily report page",
}

_found: list[Path] = []


def candidate_folders(root: Path) -> list[Path]:
    """Where the screenshots may be: ``$VVV_ARTIFACTS_DIR`` alone when set (the tests write
    there then), else the repository's default folders in order."""
    configured = os.environ.get("VVV_ARTIFACTS_DIR")
    if configured:
        return [Path(configured)]
    return [root / "data" / "artifacts" / "screenshots", root / "artifacts" / "screenshots"]


def find_screenshots(root: Path) -> list[Path]:
    """The PNGs of the first candidate folder that holds any (known ones first), else none."""
    for folder in candidate_folders(root):
        pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
        if pngs:
            return sorted(pngs, key=lambda p: (p.name not in CAPTIONS, p.name))
    return []


def gallery(pngs: list[Path]) -> str:
    """Markdown for the page: each image under its caption, or a note when there are none."""
    if not pngs:
        return (
            '!!! note "No screenshots in this build"\n\n'
            "    None were found when this site was built. Run the browser tests above, then "
            "build the site again."
        )
    parts = []
    for png in pngs:
        caption = CAPTIONS.get(png.name, png.stem.replace("_", " "))
        parts.append(f"### {caption}\n\n`{png.name}`\n\n![{caption}]({SITE_FOLDER}/{png.name})")
    return "\n\n".join(parts)


def on_files(files, config):
    """Add the screenshots found now to the site's files, next to the page that shows them."""
    root = Path(config.config_file_path).resolve().parent
    _found[:] = find_screenshots(root)
    for png in _found:
        files.append(File.generated(config, f"{SITE_FOLDER}/{png.name}", abs_src_path=str(png)))
    return files


def on_page_markdown(markdown, page, config, files):
    """Replace the gallery marker of the screenshots page."""
    if page.file.src_uri != PAGE:
        return markdown
    return markdown.replace(MARKER, gallery(_found))
