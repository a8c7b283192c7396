"""The settings model: every ``VVV_*`` variable declared once, parsed, checked and documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from vvv_pipeline import settings
from vvv_pipeline.providers.simulated.config import SCALE_PRESETS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vvv_pipeline"
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_unset_and_empty_variables_give_the_defaults():
    defaults = settings.current({})
    assert defaults == settings.current({"VVV_SCALE": "", "VVV_GAP_LOOKBACK_DAYS": ""})
    assert defaults.data_dir == Path("data") and defaults.universe is None
    assert defaults.provider == "simulated" and defaults.scale == "default"
    assert defaults.executor == "multiprocess" and defaults.gx is True
    assert defaults.gap_max_attempts == 4 and defaults.source_retry_delay_seconds == 20.0
    assert defaults.alert_webhook is None and defaults.unusual_whales_token is None


def test_values_are_parsed_into_their_types():
    current = settings.current(
        {
            "VVV_DATA_DIR": "/srv/vvv",
            "VVV_GAP_LOOKBACK_DAYS": "3",
            "VVV_GAP_GRACE_MINUTES": "2.5",
            "VVV_GX": "0",
            "VVV_IQFEED_PORT": "9200",
            "VVV_UW_URL": "http://127.0.0.1:8801",
            "VVV_UW_TOKEN": "secret-token",
            "VVV_UI_URL": " http://ui:3000/ ",
            "VVV_ALERT_WEBHOOK": "   ",
            "vvv_provider": "live",  # names match regardless of case
        }
    )
    assert current.data_dir == Path("/srv/vvv") and current.gap_lookback_days == 3
    assert current.gap_grace_minutes == 2.5 and current.gx is False
    assert current.iqfeed_port == 9200 and current.provider == "live"
    assert current.unusual_whales_url == "http://127.0.0.1:8801"
    assert current.unusual_whales_token is not None
    assert current.unusual_whales_token.get_secret_value() == "secret-token"
    assert "secret-token" not in repr(current)
    assert current.ui_url == "http://ui:3000" and current.alert_webhook is None


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("VVV_SCALE", "huge", "expected one of ['tiny', 'default', 'heavy']"),
        ("VVV_PROVIDER", "real", "expected one of ['simulated', 'live']"),
        ("VVV_EXECUTOR", "dask", "expected one of ['multiprocess', 'celery']"),
        ("VVV_GAP_LOOKBACK_DAYS", "seven", "valid integer"),
        ("VVV_GAP_MAX_ATTEMPTS", "0", "greater than or equal to 1"),
        ("VVV_SOURCE_RETRY_DELAY_SECONDS", "-1", "greater than or equal to 0"),
        ("VVV_LMDB_MIN_FREE_MB", "nan", "finite number"),
        ("VVV_IQFEED_PORT", "70000", "less than or equal to 65535"),
        ("VVV_GX", "maybe", "valid boolean"),
        ("VVV_SESSIONS_START", "2025-8-1", "pattern"),
        ("VVV_HOURLY_START", "2025-11-01", "pattern"),
        ("VVV_CELERY_QUEUE", " ", "must not be blank"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(variable, value, reason):
    with pytest.raises(settings.SettingsError) as refused:
        settings.current({variable: value, "VVV_UW_URL": "http://fine"})
    message = str(refused.value)
    assert message.startswith(f"{variable}={value!r}; ") and reason in message, message


def test_every_bad_variable_is_named_once():
    with pytest.raises(settings.SettingsError) as refused:
        settings.current({"VVV_SCALE": "huge", "VVV_UW_TOKEN": "ok", "VVV_IQFEED_PORT": "-"})
    lines = str(refused.value).splitlines()
    assert [line.split("=")[0] for line in lines] == ["VVV_SCALE", "VVV_IQFEED_PORT"]


def test_the_settings_are_read_at_each_call(monkeypatch):
    monkeypatch.setenv("VVV_GAP_MAX_RUNS_PER_TICK", "3")
    assert settings.current().gap_max_runs_per_tick == 3
    monkeypatch.setenv("VVV_GAP_MAX_RUNS_PER_TICK", "4")
    assert settings.current().gap_max_runs_per_tick == 4
    monkeypatch.delenv("VVV_GAP_MAX_RUNS_PER_TICK")
    assert settings.current().gap_max_runs_per_tick == 10


def test_the_helpers_keep_their_defaults(data_dir, monkeypatch):
    monkeypatch.delenv("VVV_ARCTIC_URI", raising=False)
    monkeypatch.delenv("VVV_DUCKDB_PATH", raising=False)
    assert settings.data_dir() == data_dir.resolve()
    assert settings.arctic_uri() == f"lmdb://{data_dir.resolve() / 'arcticdb'}"
    assert settings.duckdb_path() == str(data_dir.resolve() / "warehouse.duckdb")
    monkeypatch.delenv("VVV_UNIVERSE")
    assert settings.universe_path() == settings.SHIPPED_UNIVERSE
    assert settings.scale({"VVV_SCALE": "tiny"}) == "tiny"


def test_the_scale_presets_are_the_variables_choices():
    assert tuple(SCALE_PRESETS) == get_args(settings.ScaleName)


def test_the_variables_follow_the_fields():
    names = [settings.variable(field) for field in settings.Settings.model_fields]
    assert len(names) == len(set(names)) and all(name.startswith("VVV_") for name in names)
    assert settings.variable("unusual_whales_url") == "VVV_UW_URL"
    assert settings.variable("gap_max_attempts") == "VVV_GAP_MAX_ATTEMPTS"


def test_no_module_but_settings_reads_a_vvv_variable_from_the_environment():
    reads = re.compile(r"(os\.environ|getenv)[^\n]*VVV_|VVV_[^\n]*os\.environ")
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path.name != "settings.py" and reads.search(path.read_text())
    ]
    # the command writes VVV_SCALE (its --scale) for the definitions it loads; it reads none
    assert offenders == ["vvv_pipeline/cli/commands.py"]
    assert 'os.environ["VVV_SCALE"] = args.scale' in (PACKAGE / "cli" / "commands.py").read_text()


def test_every_variable_the_package_names_is_declared():
    declared = {settings.variable(field) for field in settings.Settings.model_fields}
    named = {
        name.rstrip("_")
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"\bVVV_[A-Z0-9_]+", path.read_text())
    }
    # VVV_<PROVIDER>_URL in prose names a family of declared variables
    assert named - declared <= {"VVV"}, sorted(named - declared)


def test_the_documented_table_is_the_models():
    text = CONFIGURATION.read_text()
    block = text.split("<!-- settings:start -->\n")[1].split("<!-- settings:end -->")[0]
    assert block == settings.markdown_table(), "regenerate it with settings.markdown_table()"
    rows = [line for line in block.splitlines() if line.startswith("| `VVV_")]
    assert len(rows) == len(settings.Settings.model_fields)
