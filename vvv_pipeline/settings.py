"""Every ``VVV_*`` environment variable the package reads, declared once in :class:`Settings`.

Each field is one variable (``VVV_`` + the field's name in capitals, unless it has an alias),
with its type, default and description; ``docs/configuration.md`` shows
:func:`markdown_table` of it. Nothing is read at import: :func:`current` builds the model from
the environment at each call (a few microseconds), so a changed variable applies to the next
read. Unset and empty variables both mean the default. A value that cannot be used is refused
with a :class:`SettingsError` naming the variable.

This module imports nothing else of the package: every other module may read it.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PREFIX = "VVV_"
SHIPPED_UNIVERSE = Path(__file__).resolve().parents[1] / "data" / "universe.toml"
SHIPPED_HOLDINGS = SHIPPED_UNIVERSE.with_name("holdings.toml")

ScaleName = Literal["tiny", "default", "heavy"]
"""Presets of the simulated market's density (their sizes: ``providers.simulated.config``)."""
ProviderName = Literal["simulated", "live"]
CryptoTradesVenue = Literal["binance", "bybit", "mexc", "coinbase"]
OpenInterestVenue = Literal["binance", "bybit"]
ExecutorName = Literal["multiprocess", "celery"]
STREAM_VENUES = ("binance", "bybit")
"""Venues with a crypto trade stream (``vvv-pipeline stream crypto --venue``)."""
MONITORED_STREAMS = {
    "binance": "crypto_trades",
    "bybit": "crypto_trades",
    "iqfeed": "equity_ticks",
    "bybit-open-interest": "crypto_open_interest",
    "binance-open-interest": "crypto_open_interest",
}
"""Each stream a collector can run, named by its venue (and, beside that venue's trades, what
it streams), and the source it streams: the crypto venues' trades, IQFeed's
(``vvv-pipeline stream equities``) and Bybit's or Binance's open interest (``stream
open-interest``)."""


def stream_venue(stream: str) -> str:
    """The venue of a monitored stream (its status file is ``<source>-<venue>.json``)."""
    return stream.split("-", 1)[0]


_DAY = r"^\d{4}-\d{2}-\d{2}$"
_HOUR = r"^\d{4}-\d{2}-\d{2}-\d{2}:\d{2}$"


class SettingsError(ValueError):
    """A setting (a ``VVV_*`` variable or a resource field) whose value cannot be used; the
    message names it. No retry can fix it, so a step that meets one fails at once."""


def _shown(default: str) -> dict[str, Any]:
    """How the docs show a default computed at read time (the field's default is None)."""
    return {"shown_default": default}


def lmdb_path(uri: str) -> str:
    """The directory of an ``lmdb://`` URI (its options after ``?`` dropped)."""
    return uri.removeprefix("lmdb://").split("?")[0]


class Settings(BaseSettings):
    """The package's configuration; build it with :func:`current`."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    # where data lives
    data_dir: Path = Field(
        default=Path("data"),
        description="root of everything the pipeline writes (relative to the working directory)",
        json_schema_extra=_shown("`./data`"),
    )
    universe: Path | None = Field(
        default=None,
        description="instrument universe file",
        json_schema_extra=_shown("the shipped `data/universe.toml`"),
    )
    holdings: Path | None = Field(
        default=None,
        description="portfolio holdings file (cash, and per universe equity a quantity, "
        "negative for a short, and a cost basis) valued by `equity_portfolio`",
        json_schema_extra=_shown("the shipped `data/holdings.toml`"),
    )
    arctic_uri: str | None = Field(
        default=None,
        description="ArcticDB URI (S3 in production); an `lmdb://` URI without a path is refused",
        json_schema_extra=_shown("`lmdb://<data dir>/arcticdb`"),
    )
    duckdb_path: str | None = Field(
        default=None,
        description="DuckDB warehouse file of the small sources",
        json_schema_extra=_shown("`<data dir>/warehouse.duckdb`"),
    )
    lmdb_min_free_mb: float = Field(
        default=64.0,
        ge=0,
        allow_inf_nan=False,
        description="free space (MiB) a write to a local (`lmdb://`) ArcticDB store must leave "
        "beyond 1.5x its data; a write that does not fit fails with `StorageFullError` naming "
        "the store, its free and needed bytes, before LMDB is touched (a full LMDB filesystem "
        "otherwise kills the process)",
    )
    tick_cache_mb: float = Field(
        default=1024.0,
        ge=0,
        allow_inf_nan=False,
        description="memory (MiB) a run may keep of the tick partitions it wrote or read, so its "
        "bars and metadata tiers read each tick from ArcticDB at most once (in-process runs "
        "only; 0: off, every read goes to ArcticDB; see [Storage](storage.md#tick-cache))",
    )
    chunk_ticks: int = Field(
        default=10_000_000,
        ge=1,
        description="most ticks in a chunk of a range run's time bars, event bars and metadata "
        "tiers 1-2 (fewer partitions a chunk at high density, at most 20; a partition is never "
        "split): the time bars read a chunk at once, the others one partition at a time in "
        "each process a chunk is split across; bounds a backfill's memory, see "
        "[Storage](storage.md#chunks-of-a-range-run)",
    )
    derive_workers: int = Field(
        default=2,
        ge=1,
        description="processes a range run's bars and metadata tiers compute a chunk in when "
        "its ticks are in the run's tick cache, or the cache keeps no more (off or full): the "
        "chunk is split by ticks and the parts past the first are computed in forked processes "
        "sharing this one's memory; also how many daily report pages a range run draws side by "
        "side; 2 uses both cores of a small machine, 1 computes in the run's process only; see "
        "[Storage](storage.md#both-cores-for-the-derived-assets)",
    )
    ingest_lookahead: Literal["auto", "process", "thread", "off"] = Field(
        default="auto",
        description="where a source's range run fetches and validates the next partitions while "
        "the current one is quarantined, stored and recorded: `auto` decides from the range's "
        "first partition, in forked processes when the provider is the simulated market and the "
        "partition is a tick source's (stored in ArcticDB) with under 1,000,000 rows (their "
        "fetch and validation are computation, which the other core then does: one process "
        "under 50,000 rows, else `VVV_INGEST_PROCESSES`), else in a thread (a heavy session's "
        "partitions would take gigabytes each in every process; a warehouse source's loop has "
        "little to overlap; live providers wait "
        "on the network and keep their sessions, rate limits and counters in the run's "
        "process); `process` in forked processes for every source of the simulated market "
        "(live providers stay in a thread); `thread` always in a thread, one partition ahead; "
        "`off` one partition after the other; see "
        "[Storage](storage.md#the-next-partitions-meanwhile)",
    )
    ingest_processes: int = Field(
        default=2,
        ge=1,
        description="forked processes that prepare a source's next partitions when the "
        "lookahead forks for partitions of 50,000 rows or more (`VVV_INGEST_LOOKAHEAD`; smaller "
        "ones are prepared in one): they take the partitions in turn, each one "
        "ahead of the run's process, so as many partitions are prepared side by side while "
        "the run's process stores the current one (one partition more in memory per process); "
        "2 keeps both cores of a small machine busy, 1 prepares one partition at a time; see "
        "[Storage](storage.md#the-next-partitions-meanwhile)",
    )
    # partitions
    sessions_start: str = Field(
        default="2025-08-01",
        pattern=_DAY,
        description="first session partition, YYYY-MM-DD (earlier history: set the three starts "
        "before starting `dagster dev`, see [Partitions](partitions.md#where-history-starts))",
    )
    calendar_days_start: str = Field(
        default="2025-08-01", pattern=_DAY, description="first calendar-day partition, YYYY-MM-DD"
    )
    hourly_start: str = Field(
        default="2025-11-01-00:00",
        pattern=_HOUR,
        description="first hourly partition, YYYY-MM-DD-HH:MM (UTC)",
    )
    # the market
    provider: ProviderName = Field(
        default="simulated",
        description="market-data provider (see [Providers](providers.md#real-providers))",
    )
    scale: ScaleName = Field(default="default", description="simulated density preset")
    gx: bool = Field(
        default=True,
        description="run the great-expectations suites in tier 4 (`0` switches them off)",
    )
    unusual_whales_url: str = Field(
        default="https://api.unusualwhales.com",
        validation_alias="VVV_UW_URL",
        description="Unusual Whales API (live dark pool, options flow, news)",
    )
    unusual_whales_token: SecretStr | None = Field(
        default=None,
        validation_alias="VVV_UW_TOKEN",
        description="Unusual Whales API token; passed to runs by name (`dg.EnvVar`), not value",
        json_schema_extra=_shown("unset"),
    )
    iqfeed_host: str = Field(default="127.0.0.1", description="IQConnect host (live equity ticks)")
    iqfeed_port: int = Field(default=9100, ge=1, le=65535, description="IQConnect lookup port")
    iqfeed_level1_port: int = Field(
        default=5009,
        ge=1,
        le=65535,
        description="IQConnect Level 1 streaming port (`vvv-pipeline stream equities`)",
    )
    binance_url: str = Field(
        default="https://api.binance.com", description="Binance spot API (live crypto trades)"
    )
    binance_futures_url: str = Field(
        default="https://fapi.binance.com",
        description="Binance USD-M futures API (live open interest)",
    )
    bybit_url: str = Field(default="https://api.bybit.com", description="Bybit API")
    mexc_url: str = Field(
        default="https://contract.mexc.com", description="MEXC contract API (perpetuals)"
    )
    coinbase_url: str = Field(
        default="https://api.exchange.coinbase.com", description="Coinbase Exchange API"
    )
    fred_url: str = Field(
        default="https://api.stlouisfed.org", description="FRED API (live economic series)"
    )
    fred_api_key: SecretStr | None = Field(
        default=None,
        description="FRED API key; passed to runs by name (`dg.EnvVar`), not value",
        json_schema_extra=_shown("unset"),
    )
    yahoo_url: str = Field(
        default="https://query2.finance.yahoo.com", description="Yahoo chart API (daily OHLCV)"
    )
    crypto_trades_venue: CryptoTradesVenue = Field(
        default="binance", description="venue of the live crypto trades"
    )
    open_interest_venue: OpenInterestVenue = Field(
        default="binance", description="venue of the live crypto open interest"
    )
    # streaming (see [Streaming](streaming.md))
    stream_crypto_trades: bool = Field(
        default=False,
        description="`crypto_trades` partitions finalize what `vvv-pipeline stream crypto` "
        "staged for their hour, filling its holes from the venue's REST (needs the live "
        "provider with the Binance or Bybit venue, the stream's own); an hour nothing was "
        "staged for is fetched as without it",
    )
    stream_crypto_open_interest: bool = Field(
        default=False,
        description="`crypto_open_interest` hours finalize what `vvv-pipeline stream "
        "open-interest` staged for them, at five seconds; a pair whose stream coverage misses "
        "a span of the hour is fetched from the venue's REST instead (needs the live provider; "
        "the stream finalized is `VVV_OPEN_INTEREST_VENUE`'s); an hour nothing was staged for "
        "is fetched as without it",
    )
    stream_equity_ticks: bool = Field(
        default=False,
        description="`equity_ticks` sessions finalize what `vvv-pipeline stream equities` "
        "settled for their New York day, the spans its coverage misses fetched from IQFeed's "
        "history (needs the live provider); a day nothing was streamed for is fetched as "
        "without it",
    )
    stream_retention_hours: float = Field(
        default=168.0,
        ge=0,
        allow_inf_nan=False,
        description="a `crypto_trades` run that finalizes an hour deletes the stream's "
        "`tick_stream` hours this much older than it whose partition is stored (finalizing "
        "such an hour again fetches it from REST); an `equity_ticks` session run does the same "
        "for the IQFeed stream when `iqfeed` is in `VVV_STREAM_VENUES`; `0` keeps every "
        "streamed hour",
    )
    binance_ws_url: str = Field(
        default="wss://stream.binance.com:9443/ws",
        description="Binance WebSocket endpoint the crypto stream subscribes on",
    )
    bybit_ws_url: str = Field(
        default="wss://stream.bybit.com/v5/public/linear",
        description="Bybit v5 public WebSocket endpoint the `--venue bybit` stream subscribes on",
    )
    stream_flush_rows: int = Field(
        default=1000, ge=1, description="the stream stages its buffer once it holds this many rows"
    )
    stream_flush_ms: float = Field(
        default=100.0,
        gt=0,
        description="the stream stages its buffer once its oldest row is this old (ms): the "
        "most a killed collector loses, filled from REST when the hour is finalized",
    )
    stream_venues: str = Field(
        default="",
        description="comma-separated streams whose collectors are expected to run "
        "(`binance`, `bybit`: crypto trades; `iqfeed`: equity ticks; `bybit-open-interest`, "
        "`binance-open-interest`: open interest): each gets a `crypto_trade_stream/<venue>`, "
        "`equity_tick_stream/iqfeed` or `crypto_open_interest_stream/<venue>` asset that the "
        "`stream_status` sensor reports its lag on, and a stall alert; empty: streams are not "
        "monitored",
        json_schema_extra=_shown("empty (not monitored)"),
    )
    stream_stall_seconds: float = Field(
        default=60.0,
        ge=5,
        allow_inf_nan=False,
        description="a monitored stream with no frame (or no status written) for this long is "
        "stalled: one alert per incident",
    )
    stream_status_dir: Path | None = Field(
        default=None,
        description="directory where each collector rewrites its status file every second "
        "(shared by the collectors and the Dagster daemon)",
        json_schema_extra=_shown("`<data dir>/stream`"),
    )
    # where steps run
    executor: ExecutorName = Field(
        default="multiprocess", description="`celery` runs every step on a Celery worker"
    )
    celery_broker: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker URL")
    celery_backend: str | None = Field(
        default=None,
        description="Celery result backend URL",
        json_schema_extra=_shown("the broker's URL"),
    )
    celery_queue: str = Field(
        default="dagster", description="queue the steps go to and the workers listen on"
    )
    # retries and the gap sensor
    source_retries: int = Field(default=2, ge=0, description="step retries of a source asset")
    source_retry_delay_seconds: float = Field(
        default=20.0, ge=0, description="first delay of those retries (exponential, jittered)"
    )
    gap_lookback_days: int = Field(
        default=7, ge=1, description="New York days the gap sensor looks back"
    )
    gap_grace_minutes: float = Field(
        default=60.0, ge=0, description="a partition is a gap only this long after its window"
    )
    gap_max_runs_per_tick: int = Field(
        default=10, ge=1, description="runs the gap sensor requests per tick"
    )
    gap_max_attempts: int = Field(
        default=4, ge=1, description="attempts in all at one gap before the sensor gives up"
    )
    gap_retry_minutes: float = Field(
        default=30.0, ge=0, description="back-off before a gap's second attempt (then doubling)"
    )
    # backfills
    backfill_max_partitions: int = Field(
        default=500,
        ge=0,
        description="asset-partitions a backfill may target without the "
        "`vvv/confirm_large_backfill=true` tag; larger ones are canceled before any run "
        "starts (0: no limit)",
    )
    # alerts
    alert_webhook: str | None = Field(
        default=None,
        description="Slack-compatible incoming webhook for alerts",
        json_schema_extra=_shown("unset (alerts off)"),
    )
    ui_url: str = Field(
        default="http://localhost:3000", description="base URL of the Dagster UI in alert links"
    )
    alert_max_per_tick: int = Field(
        default=10, ge=1, description="alert messages per sensor tick before folding the rest"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)

    @field_validator("alert_webhook", "ui_url", "lmdb_min_free_mb", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            default = cls.model_fields[info.field_name or ""].default
            return default
        return value.strip() if isinstance(value, str) else value

    @field_validator("stream_venues")
    @classmethod
    def _known_venues(cls, value: str) -> str:
        venues = [v.strip().lower() for v in value.split(",") if v.strip()]
        unknown = sorted(set(venues) - set(MONITORED_STREAMS))
        if unknown:
            known = list(MONITORED_STREAMS)
            raise ValueError(f"unknown venues {unknown}; streams exist for {known}")
        return ",".join(dict.fromkeys(venues))

    @field_validator("ui_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("arctic_uri")
    @classmethod
    def _lmdb_needs_a_path(cls, value: str | None) -> str | None:
        if value and value.startswith("lmdb://") and not lmdb_path(value).strip():
            raise PydanticCustomError(
                "vvv_setting",
                "{variable}={value} names no directory; give one (e.g. "
                "lmdb:///abs/path/data/arcticdb) or unset it for <data dir>/arcticdb",
                {"variable": variable("arctic_uri"), "value": repr(value)},
            )
        return value

    @field_validator("celery_broker", "celery_queue")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


_ENVIRON: ContextVar[Mapping[str, str]] = ContextVar("vvv_settings_environ")
"""The ``VVV_*`` variables :func:`current` picked out, while :func:`_build` builds from them."""


class _Environment(EnvSettingsSource):
    """The ``VVV_*`` variables in :data:`_ENVIRON`, matched regardless of case, empty values
    left out (they mean the default)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in _ENVIRON.get().items() if value != ""}


def variable(field: str) -> str:
    """The environment variable of ``field``."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    return alias if isinstance(alias, str) else PREFIX + field.upper()


def default(field: str) -> Any:
    """The default of ``field`` (never read from the environment)."""
    return Settings.model_fields[field].default


def current(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of ``environ`` (default: the process's environment, read now).

    Only the ``VVV_*`` variables count; a model built from the same ones is reused."""
    variables = (os.environ if environ is None else environ).items()
    return _build(tuple(sorted((k, v) for k, v in variables if k.upper().startswith(PREFIX))))


@lru_cache(maxsize=16)
def _build(variables: tuple[tuple[str, str], ...]) -> Settings:
    token = _ENVIRON.set(dict(variables))
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError("\n".join(_problems(error))) from None
    finally:
        _ENVIRON.reset(token)


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for problem in error.errors(include_url=False):
        if problem["type"] == "vvv_setting":
            problems.append(problem["msg"])
            continue
        key = str(problem["loc"][0]) if problem["loc"] else ""
        field = next((name for name in Settings.model_fields if key in (name, variable(name))), key)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "literal_error":
            message = f"expected one of {list(_choices(Settings.model_fields[field]))}"
        problems.append(f"{variable(field)}={problem['input']!r}; {message}")
    return problems


def _choices(info: FieldInfo) -> tuple[Any, ...]:
    annotation = info.annotation
    return get_args(annotation) if get_origin(annotation) is Literal else ()


def data_dir() -> Path:
    return current().data_dir.resolve()


def universe_path() -> Path:
    configured = current().universe
    return configured.resolve() if configured else SHIPPED_UNIVERSE


def holdings_path() -> Path:
    configured = current().holdings
    return configured.resolve() if configured else SHIPPED_HOLDINGS


def arctic_uri() -> str:
    """``VVV_ARCTIC_URI``, else LMDB under the data directory.

    An ``lmdb://`` URI without a path is refused: ArcticDB would open the current directory and
    scatter its files wherever the command happened to run.
    """
    configured = current().arctic_uri
    return configured or f"lmdb://{data_dir() / 'arcticdb'}"


def stream_venues() -> tuple[str, ...]:
    """The venues whose streams are monitored (``VVV_STREAM_VENUES``), in the order given."""
    value = current().stream_venues
    return tuple(value.split(",")) if value else ()


def stream_status_dir() -> Path:
    configured = current().stream_status_dir
    return configured.resolve() if configured else data_dir() / "stream"


def duckdb_path() -> str:
    return current().duckdb_path or str(data_dir() / "warehouse.duckdb")


def scale(environ: Mapping[str, str] | None = None) -> ScaleName:
    """``VVV_SCALE`` (of ``environ``, default the process's), the simulated density preset
    (default ``default``), checked when read: an unknown preset used to surface only inside the
    runs, after their retries."""
    return current(environ).scale


def _type_name(info: FieldInfo) -> str:
    annotation = info.annotation
    if get_origin(annotation) is Literal:
        return " \\| ".join(f"`{choice}`" for choice in get_args(annotation))
    optional = get_origin(annotation) in (Union, types.UnionType)
    if optional:
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    name = {SecretStr: "secret", Path: "path", str: "text"}.get(annotation, annotation.__name__)
    bounds = {
        key: getattr(rule, key)
        for rule in info.metadata
        for key in ("ge", "le")
        if getattr(rule, key, None) is not None
    }
    if "ge" in bounds and "le" in bounds:
        name += f" {bounds['ge']}..{bounds['le']}"
    elif "ge" in bounds:
        name += f" >= {bounds['ge']}"
    return f"{name} (optional)" if optional and name != "secret" else name


def _default_text(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return str(extra["shown_default"])
    default = info.default
    if isinstance(default, bool) or (isinstance(default, float) and default.is_integer()):
        default = int(default)
    return f"`{default}`"


def markdown_table() -> str:
    """The table of ``docs/configuration.md``: variable, type, default, description."""
    rows = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        rows.append(
            f"| `{variable(name)}` | {_type_name(info)} | {_default_text(info)} | "
            f"{info.description} |"
        )
    return "\n".join(rows) + "\n"
