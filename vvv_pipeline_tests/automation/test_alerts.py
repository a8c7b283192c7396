"""Alerts reach a real HTTP receiver once per incident, grouped, capped, and never crash a tick."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from vvv_pipeline.defs.automation.alerts import (
    alert_on_blocking_check_failure,
    alert_on_freshness_failure,
    alert_on_run_failure,
)
from vvv_pipeline.defs.automation.alerts import messages as msg
from vvv_pipeline.defs.automation.alerts.webhook import ATTEMPTS, post, redact
from vvv_pipeline.defs.automation.gap_attempts import configured_max_attempts
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline_tests.automation.freshness_daemon import evaluate_freshness
from vvv_pipeline_tests.conftest import WEEK
from vvv_pipeline_tests.webhook_receiver import WebhookReceiver

UI = "http://ui.test:3000"
CHECK_ERROR = (
    "DagsterAssetCheckFailedError: 1 blocking asset check failed with ERROR severity: "
    "equity_ticks: tier1_structure"
)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    webhook = WebhookReceiver()
    monkeypatch.setenv("VVV_ALERT_WEBHOOK", webhook.url)
    monkeypatch.setenv("VVV_UI_URL", UI + "/")
    monkeypatch.delenv("VVV_ALERT_MAX_PER_TICK", raising=False)
    with webhook:
        yield webhook


class Ticks:
    """Evaluates one sensor tick after another, carrying the cursor as the daemon does."""

    def __init__(self, sensor: dg.SensorDefinition, instance: dg.DagsterInstance) -> None:
        self.sensor, self.instance, self.cursor = sensor, instance, None

    def __call__(self) -> str | None:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor
        return data.skip_message


def _faults(*faults: dict) -> dict:
    return {"resources": {"market": {"config": {"scale": "tiny", "faults": list(faults)}}}}


def _run_ticks(instance: dg.DagsterInstance, faults: dict | None = None, **kwargs):
    """Run ``equity_ticks`` alone (job ``ticks_job``), optionally with simulator faults."""
    defs = build_definitions()
    job = dg.define_asset_job("ticks_job", selection=["equity_ticks"]).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )
    config = _faults(faults) if faults else None
    return job.execute_in_process(
        instance=instance, run_config=config, raise_on_error=False, **kwargs
    )


PARTS = dg.StaticPartitionsDefinition(["p1", "p2", "p3"])


@dg.asset(partitions_def=PARTS)
def fragile() -> None:
    raise ValueError("provider returned garbage\nsecond line")


@dg.asset(
    partitions_def=PARTS,
    check_specs=[
        dg.AssetCheckSpec(name, asset="guarded", blocking=name == "tier1", partitions_def=PARTS)
        for name in ("tier1", "tier1_other", "tier2")
    ],
)
def guarded(context: dg.AssetExecutionContext):
    """Fails its two ERROR checks on p2 and p3 (or the run's ``failing`` tag), WARN everywhere."""
    key = context.partition_key
    failing = context.run.tags.get("failing", "p2,p3").split(",")
    yield dg.MaterializeResult()
    for name, severity in (("tier1", "ERROR"), ("tier1_other", "ERROR"), ("tier2", "WARN")):
        yield dg.AssetCheckResult(
            check_name=name,
            passed=key not in failing and name != "tier2",
            severity=dg.AssetCheckSeverity[severity],
            metadata={"summary": dg.MetadataValue.text(f"{name} bad rows in {key}")},
        )


def _guard(instance: dg.DagsterInstance, key: str, tags: dict | None = None) -> None:
    dg.materialize([guarded], instance=instance, partition_key=key, tags=tags, raise_on_error=False)


def test_messages_name_asset_partition_reason_and_link():
    run = msg.run_failure(
        UI, "ticks_job", "r-1", ["equity_ticks"], "2025-11-24", "equity_ticks", "ValueError: x"
    )
    assert msg.render(run) == (
        "[vvv] run failed: ticks_job\n"
        "asset: equity_ticks\n"
        "partition: 2025-11-24\n"
        "reason: step equity_ticks failed: ValueError: x\n"
        "link: http://ui.test:3000/runs/r-1"
    )
    check = msg.check_failure(
        UI, ["equity_ticks"], "tier1_structure", ["a", "b"], 3, "2 rows", ["r-2"], "bf-1"
    )
    assert msg.render(check) == (
        "[vvv] blocking check failed: equity_ticks tier1_structure\n"
        "asset: equity_ticks\n"
        "partition: 2 of 3 partitions: a, b\n"
        "reason: 2 rows (run: backfill bf-1 (http://ui.test:3000/runs/b/bf-1))\n"
        "link: http://ui.test:3000/assets/equity_ticks?view=checks&checkDetail=tier1_structure"
    )
    fresh = msg.freshness_failure(UI, ["a", "b c"], "PASS", "2025-11-25 22:30 UTC", None)
    assert msg.render(fresh) == (
        "[vvv] freshness FAIL: a/b c\n"
        "asset: a/b c\n"
        "partition: latest (freshness is per asset)\n"
        "reason: freshness policy breached at 2025-11-25 22:30 UTC (was PASS); "
        "never materialized\n"
        "link: http://ui.test:3000/assets/a/b%20c"
    )
    assert (
        msg.first_line(
            "dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking asset check failed with "
            "ERROR severity:\nequity_ticks: tier1_structure\nStack Trace: ..."
        )
        == CHECK_ERROR
    )
    assert msg.first_line("\n  KeyError: 'price'\n  more") == "KeyError: 'price'"
    keys = [f"k{i}" for i in range(12)]
    assert msg.describe_partitions(keys) == "12 partitions: k0, k1, k2, k3, k4 (+7 more)"
    assert msg.describe_partitions(["k0"], 1) == "k0"
    assert msg.describe_partitions(["k0"], 3) == "1 of 3 partitions: k0"
    assert msg.describe_partitions([]) == "none (unpartitioned)"
    folded = msg.fold([run, check, fresh, run], cap=3)
    assert folded[:2] == [msg.render(run), msg.render(check)]
    assert folded[2] == (
        "[vvv] 2 more alerts this tick, not posted one by one (cap 3 per tick): "
        "freshness FAIL: a/b c; run failed: ticks_job"
    )
    assert redact("refused: /services/T0/B0/secret", "https://h/services/T0/B0/secret") == (
        "refused: /<redacted>"
    )


@pytest.mark.slow
def test_a_tier1_failure_posts_once_until_it_passes_and_not_as_a_run_failure_too(
    data_dir, instance, receiver
):
    runs, checks = (
        Ticks(alert_on_run_failure, instance),
        Ticks(alert_on_blocking_check_failure, instance),
    )
    assert runs().startswith("Initiating") and checks().startswith("started after")
    fault = {"kind": "crossed_quote", "source": "equity_ticks", "symbol": "AAPL", "count": 3}
    failed = _run_ticks(instance, fault, partition_key=WEEK[1])
    assert not failed.success
    runs()
    assert receiver.texts == []  # the run failed on its blocking check: the check's incident
    assert "1 incidents (1 finished runs read): 1 messages posted" in checks()
    assert receiver.texts == [
        "[vvv] blocking check failed: equity_ticks tier1_structure\n"
        "asset: equity_ticks\n"
        f"partition: {WEEK[1]}\n"
        "reason: 3 of 5000 rows rejected to quarantine "
        f"(run: {UI}/runs/{failed.run_id})\n"
        f"link: {UI}/assets/equity_ticks?view=checks&checkDetail=tier1_structure"
    ]
    again = _run_ticks(instance, fault, partition_key=WEEK[1])  # a retry failing the same way
    assert not again.success
    runs()
    assert checks() == "no new incidents (1 finished runs read)"
    assert len(receiver.bodies) == 1
    assert _run_ticks(instance, partition_key=WEEK[1]).success  # fixed: the incident closes
    runs(), checks()
    _run_ticks(instance, fault, partition_key=WEEK[1])  # broken again: a new incident
    runs()
    assert "1 incidents (1 finished runs read): 1 messages posted" in checks()
    assert len(receiver.bodies) == 2

    user_error = dg.materialize(
        [fragile], instance=instance, partition_key="p2", raise_on_error=False
    )
    runs()
    assert receiver.texts[2].splitlines()[1:4] == [
        "asset: fragile",
        "partition: p2",
        "reason: step fragile failed: ValueError: provider returned garbage",
    ]
    assert receiver.texts[2].endswith(f"/runs/{user_error.run_id}")
    gap_retry = {"vvv/trigger": "gap_sensor", "vvv/gap_attempt": "2"}
    dg.materialize(
        [fragile], instance=instance, partition_key="p2", tags=gap_retry, raise_on_error=False
    )
    runs()
    assert len(receiver.bodies) == 3  # a gap-sensor retry repeats an incident already posted
    last = configured_max_attempts()
    last_try = {"vvv/trigger": "gap_sensor", "vvv/gap_attempt": str(last)}
    dg.materialize(
        [fragile], instance=instance, partition_key="p2", tags=last_try, raise_on_error=False
    )
    runs()
    assert (
        len(receiver.bodies) == 4 and f"gap given up after {last} attempts" in (receiver.texts[3])
    )


@pytest.mark.slow
def test_a_range_run_groups_its_failed_partitions_into_one_message(data_dir, instance, receiver):
    runs, checks = (
        Ticks(alert_on_run_failure, instance),
        Ticks(alert_on_blocking_check_failure, instance),
    )
    runs(), checks()
    fault = {
        "kind": "crossed_quote",
        "source": "equity_ticks",
        "start": f"{WEEK[1]}T00:00:00-05:00",
        "end": f"{WEEK[3]}T00:00:00-05:00",
        "count": 2,
    }
    tags = {
        "dagster/asset_partition_range_start": WEEK[0],
        "dagster/asset_partition_range_end": WEEK[2],
        "dagster/backfill": "bf-range",
    }
    result = _run_ticks(instance, fault, tags=tags)
    assert not result.success
    runs(), checks()
    assert len(receiver.texts) == 1  # the run failed on its blocking check: one incident
    (check_text,) = receiver.texts
    assert check_text.splitlines()[:3] == [
        "[vvv] blocking check failed: equity_ticks tier1_structure",
        "asset: equity_ticks",
        f"partition: 2 of 3 partitions: {WEEK[1]}, {WEEK[2]}",
    ]
    assert f"(run: backfill bf-range ({UI}/runs/b/bf-range))" in check_text


def test_backfill_runs_share_messages_warnings_are_ignored_and_a_tick_is_capped(
    instance, receiver, monkeypatch
):
    checks = Ticks(alert_on_blocking_check_failure, instance)
    checks()
    for key in ("p2", "p3"):  # two runs of one backfill
        _guard(instance, key, {"dagster/backfill": "b1"})
    assert "2 incidents (2 finished runs read): 2 messages posted" in checks()
    assert [t.splitlines()[2] for t in receiver.texts] == ["partition: 2 partitions: p2, p3"] * 2
    assert not any("tier2" in t for t in receiver.texts)  # WARN severity is not alerted
    assert "reason: tier1 bad rows in p2 (run: backfill b1" in receiver.texts[0]

    for key in ("p2", "p3"):  # failing again outside the backfill: the same incidents
        _guard(instance, key)
    assert checks() == "no new incidents (2 finished runs read)"
    for key in ("p2", "p3"):  # both pass: the incidents close
        _guard(instance, key, {"failing": ""})
    checks()
    monkeypatch.setenv("VVV_ALERT_MAX_PER_TICK", "2")
    for key in ("p2", "p3"):  # two runs, no backfill: 4 new incidents, capped at 2 messages
        _guard(instance, key)
    assert "4 incidents (2 finished runs read): 2 messages posted" in checks()
    assert receiver.texts[3].startswith(
        "[vvv] 3 more alerts this tick, not posted one by one (cap 2 per tick): "
        "blocking check failed: guarded tier1_other; blocking check failed: guarded tier1;"
    )
    assert checks() == "no new incidents (0 finished runs read)"
    assert len(receiver.bodies) == 4


def test_a_backfill_posts_its_first_failed_runs_only(instance, receiver):
    runs = Ticks(alert_on_run_failure, instance)
    runs()
    for key in ("p1", "p2", "p3", "p1"):
        dg.materialize(
            [fragile],
            instance=instance,
            partition_key=key,
            tags={"dagster/backfill": "b2"},
            raise_on_error=False,
        )
    runs()
    assert [t.splitlines()[2] for t in receiver.texts] == [
        "partition: p1",
        "partition: p2",
        "partition: p3",
    ]
    assert "further failed runs of this backfill are not posted" in receiver.texts[2]


def test_alerts_off_skip_with_a_reason_post_nothing_and_replay_nothing(
    instance, receiver, monkeypatch
):
    monkeypatch.delenv("VVV_ALERT_WEBHOOK")
    runs = Ticks(alert_on_run_failure, instance)
    checks = Ticks(alert_on_blocking_check_failure, instance)
    fresh = Ticks(alert_on_freshness_failure, instance)
    runs(), checks(), fresh()
    dg.materialize([fragile], instance=instance, partition_key="p1", raise_on_error=False)
    _guard(instance, "p2")  # a failed run too, with two blocking check failures
    off = "alerts off: VVV_ALERT_WEBHOOK not set"
    assert checks() == off and fresh() == off
    # a run-status sensor ends its tick at the first skip: one failed run per tick
    assert runs() == off and runs() == off
    monkeypatch.setenv("VVV_ALERT_WEBHOOK", receiver.url)
    runs()
    assert checks() == "no new incidents (0 finished runs read)"
    assert receiver.bodies == []


def test_a_failing_receiver_is_retried_boundedly_and_never_fails_the_tick(instance, receiver):
    runs = Ticks(alert_on_run_failure, instance)
    checks = Ticks(alert_on_blocking_check_failure, instance)
    runs(), checks()
    receiver.status = 500
    dg.materialize([fragile], instance=instance, partition_key="p1", raise_on_error=False)
    runs()
    assert len(receiver.bodies) == ATTEMPTS  # retried, then dropped and logged
    _guard(instance, "p2")  # a run failed by two blocking checks: the check sensor's incidents
    runs()
    assert len(receiver.bodies) == ATTEMPTS
    outcome = checks()  # the receiver failed a moment ago: one try only
    assert "delivery failed (HTTP 500: receiver down), 1 dropped" in outcome
    assert len(receiver.bodies) == ATTEMPTS + 1  # the tick's second message was not tried

    receiver.status = 200
    runs(), checks()
    assert len(receiver.bodies) == ATTEMPTS + 1  # dropped incidents are not replayed
    dg.materialize([fragile], instance=instance, partition_key="p3", raise_on_error=False)
    runs()
    assert len(receiver.bodies) == ATTEMPTS + 2 and "partition: p3" in receiver.texts[-1]

    receiver.close()
    refused = post(receiver.url, "x", backoff=0.01)
    assert not refused.ok and refused.attempts == ATTEMPTS
    assert "ConnectionError" in refused.error and "secret" not in refused.error


NIGHTLY = dg.FreshnessPolicy.cron(
    deadline_cron="0 2 * * *", lower_bound_delta=dt.timedelta(hours=2), timezone="UTC"
)


@dg.asset(freshness_policy=NIGHTLY)
def nightly() -> None:
    """Expected between 00:00 and 02:00 UTC every day."""


FRESHNESS_DEFS = dg.Definitions(assets=[nightly])


def test_a_freshness_breach_found_by_the_daemon_posts_once(instance, receiver):
    fresh = Ticks(alert_on_freshness_failure, instance)
    fresh()
    done = dg.materialize([nightly], instance=instance)
    now = dt.datetime.now(dt.UTC)
    evaluate_freshness(instance, __name__, "FRESHNESS_DEFS", now)  # UNKNOWN -> PASS
    assert fresh() == "no new incidents (1 freshness changes read)"
    later = now + dt.timedelta(days=2)
    evaluate_freshness(instance, __name__, "FRESHNESS_DEFS", later)  # PASS -> FAIL
    fresh()
    materialized = instance.get_latest_materialization_event(dg.AssetKey("nightly")).timestamp
    assert receiver.texts == [
        "[vvv] freshness FAIL: nightly\n"
        "asset: nightly\n"
        "partition: latest (freshness is per asset)\n"
        f"reason: freshness policy breached at {later:%Y-%m-%d %H:%M} UTC (was PASS); "
        f"last materialized {dt.datetime.fromtimestamp(materialized, dt.UTC):%Y-%m-%d %H:%M} UTC\n"
        f"link: {UI}/assets/nightly"
    ]
    assert done.success
    evaluate_freshness(instance, __name__, "FRESHNESS_DEFS", later)  # still FAIL: no change
    fresh()
    assert len(receiver.bodies) == 1
