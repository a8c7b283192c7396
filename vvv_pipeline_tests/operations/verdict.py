"""What must hold after the rehearsal, read back from the instance; each finding is a line.

- every expected partition of every partitioned asset (sources and derived) is materialized,
  except the assets downstream of the source partition that failed tier 1 on purpose, which
  must stay unbuilt (blocked);
- every check's latest evaluation per partition passed, except that partition's tier 1;
- that tier-1 failure alerted exactly once, whatever the retries;
- no run targeted a session partition that is not an XNYS session, and every schedule tick on
  a holiday or weekend skipped;
- no instigator launched the same partition twice, except the gap sensor's numbered attempts,
  each after the previous one failed or left the gap open;
- the outage's hours and the killed run's hour are materialized, the killed run is FAILURE.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from vvv_pipeline.calendars import is_session
from vvv_pipeline.defs.automation.partition_status import FAILED_STATUS
from vvv_pipeline.defs.partitions import session_partitions
from vvv_pipeline_tests.operations.clock_driver import ClockDriver
from vvv_pipeline_tests.operations.scenario import KILLED_HOUR, NY, OUTAGE, TIER1_FAILURE, Leg


@dataclass
class Verdict:
    findings: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    def require(self, ok: bool, finding: str) -> None:
        if not ok:
            self.findings.append(finding)


def blocked_assets(defs: dg.Definitions) -> set[str]:
    downstream = dg.AssetSelection.assets(TIER1_FAILURE[0]).downstream()
    keys = downstream.resolve(defs.resolve_asset_graph())
    return {k.to_user_string() for k in keys} - {TIER1_FAILURE[0]}


def _expected(partitions_def: dg.PartitionsDefinition, at: pd.Timestamp) -> list[str]:
    now = at.to_pydatetime()
    return [
        key
        for key in partitions_def.get_partition_keys(current_time=now)
        if partitions_def.time_window_for_partition_key(key).end <= now
    ]


def _holiday_weekdays(legs: tuple[Leg, ...]) -> list[str]:
    """Weekdays without a session whose 16:15 close tick the clock passed."""
    days = []
    for leg in legs:
        first = leg.start.tz_convert(NY).normalize()
        for day in pd.date_range(first, leg.end.tz_convert(NY), freq="D"):
            tick = day + pd.Timedelta(hours=16, minutes=15)
            if day.weekday() < 5 and not is_session(day) and leg.start <= tick <= leg.end:
                days.append(day.strftime("%Y-%m-%d"))
    return days


def judge(
    driver: ClockDriver,
    legs: tuple[Leg, ...],
    killed_run: str | None,
    alerts: list[str],
) -> Verdict:
    at = legs[-1].end
    instance, defs = driver.instance, driver.defs
    graph = driver.repository.asset_graph
    verdict = Verdict()
    blocked = blocked_assets(defs)
    failed_day = TIER1_FAILURE[1]
    expected_total = materialized_total = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def is None:
            continue
        name = key.to_user_string()
        expected = _expected(node.partitions_def, at)
        done = instance.get_materialized_partitions(key)
        expected_total += len(expected)
        materialized_total += len(set(expected) & done)
        missing = sorted(set(expected) - done)
        if name in blocked and node.partitions_def == session_partitions():
            verdict.require(failed_day in missing, f"{name} {failed_day} built on failed tier 1")
            missing = [k for k in missing if k != failed_day]
        verdict.require(not missing, f"{name}: {len(missing)} partitions missing: {missing[:6]}")
    verdict.figures["expected_partitions"] = expected_total
    verdict.figures["materialized_partitions"] = materialized_total

    failing = []
    check_keys = list(graph.asset_check_keys)
    for info in instance.event_log_storage.get_asset_check_partition_info(check_keys):
        if info.partition_key and info.latest_execution_status.value == FAILED_STATUS:
            failing.append(
                (info.check_key.asset_key.to_user_string(), info.check_key.name, info.partition_key)
            )
    tier1 = [f for f in failing if f[0] == TIER1_FAILURE[0] and f[2] == failed_day]
    verdict.require(len(tier1) == 1, f"injected tier-1 failure not (only) failing: {tier1}")
    others = [f for f in failing if f not in tier1]
    verdict.require(not others, f"checks failing besides the injected one: {others[:6]}")
    verdict.figures["failing_checks"] = failing

    about = [a for a in alerts if TIER1_FAILURE[0] in a and failed_day in a and "tier" in a]
    verdict.require(len(about) == 1, f"tier-1 failure alerted {len(about)} times, not once")
    verdict.figures["alerts"] = len(alerts)

    for launch in driver.launches:
        if launch.job == "session_sources_job" and launch.partition is not None:
            verdict.require(is_session(launch.partition), f"run for non-session {launch}")
    session_skips = driver.ticks.skip_reasons.get("xnys_session_close_schedule", set())
    for day in _holiday_weekdays(legs):
        verdict.require(
            any(f"{day} is not an XNYS session" in reason for reason in session_skips),
            f"the session schedule did not skip {day} as a non-session day",
        )

    per_trigger = Counter(
        (launch.trigger, launch.partition, asset)
        for launch in driver.launches
        if launch.trigger not in ("partition_gap_sensor",)
        for asset in launch.assets
    )
    twice = [key for key, n in per_trigger.items() if n > 1]
    verdict.require(not twice, f"launched twice by one trigger: {twice[:6]}")
    attempts = Counter(
        launch.run_key.rsplit(":", 1)[0]
        for launch in driver.launches
        if launch.trigger == "partition_gap_sensor" and launch.run_key
    )
    verdict.figures["gap_runs"] = sum(attempts.values())
    verdict.figures["gap_targets_retried"] = sorted(t for t, n in attempts.items() if n > 1)

    hours = pd.date_range(OUTAGE[0] - pd.Timedelta(hours=1), OUTAGE[1], freq="h", inclusive="left")
    outage_keys = [h.strftime("%Y-%m-%d-%H:%M") for h in hours]
    for source in ("crypto_trades", "crypto_open_interest"):
        done = instance.get_materialized_partitions(dg.AssetKey(source))
        lost = [k for k in outage_keys if k not in done]
        verdict.require(not lost, f"{source} outage hours not healed: {lost}")
    if killed_run is None:
        verdict.findings.append("the run to be killed was never launched")
    else:
        run = instance.get_run_by_id(killed_run)
        status = run.status.value if run else "missing"
        verdict.require(status == "FAILURE", f"killed run {killed_run} is {status}")
        for source in ("crypto_trades", "crypto_open_interest"):
            done = instance.get_materialized_partitions(dg.AssetKey(source))
            verdict.require(KILLED_HOUR in done, f"{source} {KILLED_HOUR} not healed after kill")
    return verdict
