"""The universe file is validated when read; each problem is one line naming the file and entry."""

import re

import pytest

from vvv_pipeline.defs.assets.ingest import UNLISTED
from vvv_pipeline.defs.resources import UniverseFile
from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline.universe import (
    RESERVED_PREFIX,
    UniverseError,
    load_universe,
    parse_universe,
)

SHIPPED = SHIPPED_UNIVERSE.read_text()
EQUITIES = '["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"]'
ORIGIN = "data/universe.toml"


def _edit(old: str, new: str) -> str:
    assert SHIPPED.count(old) == 1, old
    return SHIPPED.replace(old, new)


def test_shipped_file_loads_unchanged():
    universe = parse_universe(SHIPPED, ORIGIN)
    assert universe.equities == tuple(EQUITIES.strip("[]").replace('"', "").split(", "))
    assert universe.crypto == ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    assert universe.economic["DGS10"] == "daily" and universe.economic["UNRATE"] == "monthly"
    assert universe.daily_ohlcv == {
        "SPY": "equity",
        "AAPL": "equity",
        "MSFT": "equity",
        "NVDA": "equity",
        "EURUSD=X": "fx",
        "GC=F": "commodity",
    }
    assert universe.start_price("SPY") == 450.0 and universe.start_price("BTCUSDT") == 42000.0
    assert universe.start_price("EURUSD=X") == 100.0  # no start price: the simulator's default
    assert load_universe(SHIPPED_UNIVERSE) == universe


BAD = {
    "string_not_list": (
        _edit(f"symbols = {EQUITIES}", 'symbols = "SPY"'),
        "equities.symbols 'SPY': Input should be a valid list",
    ),
    "int_symbol": (_edit('"QQQ", "AAPL"', '"QQQ", 7'), "equities.symbols[2] 7: "),
    "empty_symbol": (_edit('"QQQ", "AAPL"', '"QQQ", ""'), "equities.symbols[2] '': not a valid"),
    "slash_symbol": (
        _edit('"AAPL", "MSFT"', '"AAPL", "BRK/B"'),
        "equities.symbols[3] 'BRK/B': not a valid equity symbol",
    ),
    "lower_case": (_edit('"AAPL", "MSFT"', '"AAPL", "msft"'), "equities.symbols[3] 'msft'"),
    "reserved_unlisted": (
        _edit('"JPM"]', f'"JPM", "{UNLISTED}"]'),
        f"equities.symbols[10] '{UNLISTED}': names starting with '_' are reserved",
    ),
    "reserved_crypto": (_edit('"SOLUSDT"]', '"_x"]'), "crypto.symbols[2] '_x': names starting"),
    "duplicate": (_edit('"JPM"]', '"JPM", "SPY"]'), "equities.symbols[10] 'SPY': listed twice"),
    "empty_list": (_edit(f"symbols = {EQUITIES}", "symbols = []"), "equities.symbols []: "),
    "negative_price": (
        _edit("SPY = 450.0", "SPY = -450.0"),
        "equities.start_price.SPY -450.0: Input should be greater than 0",
    ),
    "zero_price": (_edit("BTCUSDT = 42000.0", "BTCUSDT = 0"), "crypto.start_price.BTCUSDT 0: "),
    "nan_price": (_edit("SPY = 450.0", "SPY = nan"), "equities.start_price.SPY nan: "),
    "bool_price": (_edit("SPY = 450.0", "SPY = true"), "equities.start_price.SPY True: "),
    "price_of_unlisted": (
        _edit("SPY = 450.0,", "SPYY = 450.0,"),
        "equities.start_price.SPYY 'SPYY': not one of the symbols",
    ),
    "crypto_pair_syntax": (
        _edit('"SOLUSDT"]', '"SOL/USDT"]'),
        "crypto.symbols[2] 'SOL/USDT': not a valid crypto pair",
    ),
    "crypto_also_equity": (
        _edit('"SOLUSDT"]', '"SOLUSDT", "SPYUSD"]').replace('"JPM"]', '"JPM", "SPYUSD"]'),
        "crypto.symbols[3] 'SPYUSD': also in equities.symbols",
    ),
    "unknown_frequency": (
        _edit('DGS2 = "daily"', 'DGS2 = "weekly"'),
        "economic.series.DGS2 'weekly': Input should be 'daily' or 'monthly'",
    ),
    "fred_id_syntax": (_edit('DGS2 = "daily"', 'dgs2 = "daily"'), "economic.series.dgs2 'dgs2'"),
    "unknown_asset_class": (
        _edit('"GC=F" = "commodity"', '"GC=F" = "metal"'),
        "daily_ohlcv.instruments.\"GC=F\" 'metal': Input should be 'equity', 'fx' or 'commodity'",
    ),
    "unknown_key": (_edit("[crypto]", "symbol = []\n[crypto]"), "equities.symbol: unknown key"),
    "missing_section": (_edit("[economic]", "[economics]"), "economic: missing"),
    "toml_syntax": (_edit("[crypto]", "[crypto"), "not valid TOML: Expected ']'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_entry_is_refused_on_one_line_naming_file_and_entry(case):
    text, expected = BAD[case]
    with pytest.raises(UniverseError) as raised:
        parse_universe(text, ORIGIN)
    lines = str(raised.value).splitlines()
    assert all(line.startswith(f"{ORIGIN}: ") for line in lines), lines
    assert any(expected in line for line in lines), lines


def test_ingest_bucket_name_is_reserved():
    assert UNLISTED.startswith(RESERVED_PREFIX)


def test_resource_names_the_file_it_read(tmp_path):
    bad = tmp_path / "universe.toml"
    bad.write_text(_edit("SPY = 450.0", "SPY = -1"))
    expected = "^" + re.escape(f"{bad}: equities.start_price.SPY -1: ")
    with pytest.raises(UniverseError, match=expected):
        UniverseFile(path=str(bad)).load()
    with pytest.raises(FileNotFoundError, match=r"missing\.toml"):
        load_universe(tmp_path / "missing.toml")
