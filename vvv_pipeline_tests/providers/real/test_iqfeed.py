"""IQFeedClient against the fake Lookup socket: exact rows, negotiation, errors and faults."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.iqfeed import IQFeedClient, eastern_chunks, parse_tick_reply
from vvv_pipeline.providers.live.iqfeed_tables import (
    DEFAULT_MARKET_CENTERS,
    condition_table,
    market_center_table,
    parse_lookup_reply,
)
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.schemas import EQUITY_TICKS
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import Fault, FaultPlan
from vvv_pipeline_tests.fakes.iqfeed import LISTED_MARKETS, IQFeedFakeServer, make_server
from vvv_pipeline_tests.providers.real import replay

NY = "America/New_York"
MARKET = SimulatedMarket(
    SimulationConfig(seed=7, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)
SESSION = pd.Timestamp("2025-11-25", tz=NY)
DAY = (SESSION.tz_convert("UTC"), (SESSION + pd.Timedelta(days=1)).tz_convert("UTC"))


def expected(start: pd.Timestamp, end: pd.Timestamp, symbols: list[str]) -> pd.DataFrame:
    """What the simulated market holds, as the wire can carry it: ts in microseconds, and
    trade_id the TickID (the simulated id) above the market centre's id (the fake's list)."""
    frame = MARKET.fetch(Source.EQUITY_TICKS, start, end, symbols)
    frame["ts"] = frame["ts"].dt.floor("us")
    centers = frame["exchange"].astype(object).map(lambda code: LISTED_MARKETS[code][0])
    frame["trade_id"] = frame["trade_id"] * 256 + centers.astype("int64")
    frame = frame.sort_values(["symbol", "ts", "trade_id"], kind="stable")
    return frame.reset_index(drop=True)


@pytest.fixture
def server() -> Iterator[IQFeedFakeServer]:
    with make_server(MARKET) as fake:
        yield fake


def client_for(server: IQFeedFakeServer, **options: object) -> IQFeedClient:
    settings: dict[str, object] = {"read_timeout": 10.0, "connect_timeout": 5.0} | options
    return IQFeedClient(port=server.port, **settings)  # type: ignore[arg-type]


def test_session_fetch_equals_the_simulated_ticks(server: IQFeedFakeServer) -> None:
    client = client_for(server)
    got = client.fetch(Source.EQUITY_TICKS, *DAY, ["SPY", "AAPL"])
    pd.testing.assert_frame_equal(got, expected(*DAY, ["SPY", "AAPL"]))
    assert len(got) == 1000
    assert server.commands[:2] == ["S,SET PROTOCOL,6.2", "S,SET CLIENT NAME,vvv-pipeline"]
    # DTN's lists first (the tables), then one HTT per symbol and Eastern day
    assert server.commands[2:4] == ["SLM,vvv1", "STC,vvv2"]
    assert server.commands[4] == "HTT,SPY,20251125 000000,20251125 235959,,,,1,vvv3,500"
    stats = client.stats.as_dict()
    assert (stats["requests"], stats["pages"], stats["retries"]) == (2, 2, 0)
    assert stats["bytes"] > 1000 * 60


def test_fetch_without_request_id_reads_the_same_rows(server: IQFeedFakeServer) -> None:
    got = client_for(server, use_request_id=False).fetch(Source.EQUITY_TICKS, *DAY, ["MSFT"])
    pd.testing.assert_frame_equal(got, expected(*DAY, ["MSFT"]))
    assert server.commands[-1].endswith(",,,,1,,500")


def test_partial_window_is_clipped_to_start_inclusive_end_exclusive(
    server: IQFeedFakeServer,
) -> None:
    start = (SESSION + pd.Timedelta(hours=10)).tz_convert("UTC")
    end = start + pd.Timedelta(minutes=45)
    got = client_for(server).fetch(Source.EQUITY_TICKS, start, end, ["NVDA"])
    want = expected(start, end, ["NVDA"])
    pd.testing.assert_frame_equal(got, want)
    assert 0 < len(got) < 500
    assert got["ts"].min() >= start and got["ts"].max() < end


def test_multi_day_window_requests_one_eastern_day_at_a_time(server: IQFeedFakeServer) -> None:
    start = pd.Timestamp("2025-11-24", tz=NY).tz_convert("UTC")
    end = pd.Timestamp("2025-11-26", tz=NY).tz_convert("UTC")
    client = client_for(server)
    got = client.fetch(Source.EQUITY_TICKS, start, end, ["JPM"])
    pd.testing.assert_frame_equal(got, expected(start, end, ["JPM"]))
    assert client.stats.requests == 2 and len(got) == 1000


def test_weekend_no_data_is_an_empty_canonical_frame(server: IQFeedFakeServer) -> None:
    saturday = pd.Timestamp("2025-11-22", tz=NY).tz_convert("UTC")
    client = client_for(server)
    got = client.fetch(Source.EQUITY_TICKS, saturday, saturday + pd.Timedelta(days=1), ["SPY"])
    assert got.empty and list(got.columns) == EQUITY_TICKS.names
    assert {c: str(t) for c, t in got.dtypes.items()} == EQUITY_TICKS.dtypes
    assert (client.stats.requests, client.stats.pages) == (1, 1)


def test_error_line_raises_naming_symbol_and_message(server: IQFeedFakeServer) -> None:
    with pytest.raises(ProviderError, match=r"ZZZZ: Invalid symbol\.") as caught:
        client_for(server).fetch(Source.EQUITY_TICKS, *DAY, ["SPY", "ZZZZ"])
    assert caught.value.provider == "iqfeed" and caught.value.endpoint == "HTT ZZZZ"


def test_unauthorized_user_is_a_provider_error() -> None:
    with (
        make_server(MARKET, faults=FaultPlan([Fault("quota")])) as fake,
        pytest.raises(ProviderError, match="Unauthorized user ID"),
    ):
        client_for(fake).fetch(Source.EQUITY_TICKS, *DAY, ["SPY"])


def test_malformed_line_raises_and_names_the_symbol() -> None:
    with (
        make_server(MARKET, faults=FaultPlan([Fault("malformed", "HTT/QQQ")])) as fake,
        pytest.raises(ProviderError, match="QQQ: malformed tick data"),
    ):
        client_for(fake).fetch(Source.EQUITY_TICKS, *DAY, ["QQQ"])


def test_drifted_row_layout_is_schema_drift() -> None:
    with (
        make_server(MARKET, faults=FaultPlan([Fault("drift")])) as fake,
        pytest.raises(SchemaDriftError, match="11 fields, expected 13"),
    ):
        client_for(fake).fetch(Source.EQUITY_TICKS, *DAY, ["SPY"])


def test_other_protocol_answer_fails_negotiation() -> None:
    with (
        IQFeedFakeServer(MARKET, protocol="6.1").start() as fake,
        pytest.raises(ProviderError, match=r"protocol 6\.1, need 6\.2"),
    ):
        client_for(fake).fetch(Source.EQUITY_TICKS, *DAY, ["SPY"])
        assert not any(c.startswith("HTT") for c in fake.commands)


@pytest.mark.parametrize("kind", ["reset", "truncated", "timeout"])
def test_one_transport_failure_is_retried_on_a_new_socket(kind: str) -> None:
    # The simulated ticks are computed first, so the fake answers the retry from memory well
    # inside the read timeout even on a loaded machine; a "timeout" fault keeps its socket
    # silent until the client connects again, so only the client's read timeout ends it.
    want = expected(*DAY, ["SPY"])
    with make_server(MARKET, faults=FaultPlan([Fault(kind, "HTT/SPY")])) as fake:
        client = client_for(fake, read_timeout=2.0)
        got = client.fetch(Source.EQUITY_TICKS, *DAY, ["SPY"])
        pd.testing.assert_frame_equal(got, want)
        assert (client.stats.requests, client.stats.retries, client.stats.pages) == (2, 1, 1)
        assert fake.commands.count("S,SET PROTOCOL,6.2") == 2


def test_reset_mid_stream_on_every_attempt_raises_and_returns_nothing() -> None:
    plan = FaultPlan([Fault("reset", "HTT/AAPL", times=2)])
    with make_server(MARKET, faults=plan) as fake:
        client = client_for(fake, max_attempts=2)
        with pytest.raises(ProviderError, match=r"AAPL: .* after 2 attempt\(s\)"):
            client.fetch(Source.EQUITY_TICKS, *DAY, ["SPY", "AAPL"])
        assert plan.pending() == 0
        assert (client.stats.requests, client.stats.retries, client.stats.pages) == (3, 1, 1)


def test_parse_reply_maps_every_wire_field_by_hand() -> None:
    text = (
        "S,SERVER CONNECTED,\r\n"
        "h42,LH,2024-06-10 09:30:00.004812,193.4500,200,1245311,193.4400,193.4600,"
        "8821371004,C,11,3D,1,10,\r\n"
        "h42,LH,2024-06-10 09:30:00.101577,193.4600,45,1245356,0.0000,193.4700,"
        "8821371012,E,5,,2,10,\r\n"
        "h42,LH,2024-06-10 09:30:01.000000,193.4650,100,1245456,193.4600,193.4700,"
        "8821371013,O,99,0D87,0,10\r\n"
        "h42,!ENDMSG!,\r\n"
    )
    got = parse_tick_reply(text, "AAPL", "h42")
    assert got["ts"].tolist() == [
        pd.Timestamp("2024-06-10 13:30:00.004812", tz="UTC"),
        pd.Timestamp("2024-06-10 13:30:00.101577", tz="UTC"),
        pd.Timestamp("2024-06-10 13:30:01", tz="UTC"),
    ]
    assert got["price"].tolist() == [193.45, 193.46, 193.465]
    assert got["size"].tolist() == [200, 45, 100]
    assert got["bid"].iloc[0] == 193.44 and np.isnan(got["bid"].iloc[1])
    # TickID above the market centre (11, 5, 99): TickIDs count per centre
    assert got["trade_id"].tolist() == [
        8821371004 * 256 + 11,
        8821371012 * 256 + 5,
        8821371013 * 256 + 99,
    ]
    assert got["exchange"].astype(object).tolist()[:2] == ["P", "Q"]
    assert pd.isna(got["exchange"].iloc[2])  # market center 99 is outside the table
    # 0D is on no published list (unmapped); 87 is odd lot
    assert got["condition"].astype(str).tolist() == ["F", "T", "I"]
    assert got["aggressor"].tolist() == [1, -1, 0]
    assert got["extended_hours"].tolist() == [False, True, False]


def test_parse_reply_without_request_id_and_no_data() -> None:
    assert parse_tick_reply("E,!NO_DATA!,,\r\n!ENDMSG!,\r\n", "SPY").empty
    one = "LH,2024-06-10 09:30:00.000001,1.0000,1,1,0.9900,1.0100,7,C,7,,3,10,\r\n!ENDMSG!,\r\n"
    got = parse_tick_reply(one, "SPY")
    assert got["trade_id"].tolist() == [7 * 256 + 7] and got["aggressor"].tolist() == [0]
    with pytest.raises(ProviderError, match="does not end with"):
        parse_tick_reply(one.split("!ENDMSG!")[0], "SPY")


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("h1,XX,junk,", r"malformed reply line 'XX,junk,'"),
        ("h1,LH,2024-06-10 09:30:00.000002,1.0000,1,", r"1 malformed tick line\(s\)"),
        ("h2,LH,2024-06-10 09:30:00.000002,1.0000,1,1,0,0,8,C,7,,3,10,", "line without id"),
        ("h1,LH,2024-06-10 09:30:00.000002,1.0O00,1,1,0,0,8,C,7,,3,10,", "malformed tick data"),
    ],
    ids=["stray", "short", "foreign-id", "bad-number"],
)
def test_parse_reply_rejects_a_bad_line_among_good_ones(bad_line: str, message: str) -> None:
    good = "h1,LH,2024-06-10 09:30:00.000001,1.0000,1,1,0.9900,1.0100,7,C,7,,3,10,"
    text = "\r\n".join([good, bad_line, good, "h1,!ENDMSG!,"]) + "\r\n"
    with pytest.raises(ProviderError, match=message):
        parse_tick_reply(text, "SPY", "h1")


def test_eastern_chunks_are_whole_eastern_days_with_inclusive_second_ends() -> None:
    start = pd.Timestamp("2025-11-24 05:00", tz="UTC")
    end = pd.Timestamp("2025-11-25 15:30:00.5", tz="UTC")
    assert eastern_chunks(start, end) == [
        ("20251124 000000", "20251124 235959"),
        ("20251125 000000", "20251125 103000"),
    ]


def test_tables_from_recorded_slm_and_stc_lines_map_by_dtn_names() -> None:
    listed = parse_lookup_reply(
        "vvv1,"
        + "vvv1,".join(replay.recorded_text("iqfeed/slm_lines.txt").splitlines(True))
        + "vvv1,!ENDMSG!,\r\n"
    )
    assert listed == [
        (7, "NYSE", "New York Stock Exchange", "NYSE"),
        (2, "NCM", "National Capital Market", "NASDAQ"),
    ]
    assert market_center_table(listed) == {7: "N", 2: "Q"}
    conditions = parse_lookup_reply(replay.recorded_text("iqfeed/stc_lines.txt"))
    assert conditions == [(1, "REGULAR", "Normal Trade", ""), (21, "SPLIT", "Split Trade", "")]
    # REGULAR is the canonical '@'; a split trade has no canonical condition (unmapped)
    assert condition_table(conditions) == {"01": "@"}
    assert parse_lookup_reply("E,!NO_DATA!,,\r\n!ENDMSG!,\r\n") == []


def test_without_the_list_lookup_the_published_defaults_are_used(server: IQFeedFakeServer) -> None:
    client = client_for(server, lookup_tables=False)
    client.fetch(Source.EQUITY_TICKS, *DAY, ["SPY"])
    assert not any(c.startswith(("SLM", "STC")) for c in server.commands)
    assert client.market_centers == DEFAULT_MARKET_CENTERS and not client.tables_from_server
