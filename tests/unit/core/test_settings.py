"""Settings: one object, env vars beat the TOML file, and children get identical settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.sandbox import derive_settings
from trendstream.core.settings import Settings, get_settings
from trendstream.platform.environment import settings_env


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No TRENDSTREAM_* variables and no ./trendstream.toml, so only the test's sources count."""
    for name in list(os.environ):
        if name.startswith("TRENDSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _custom(tmp_path: Path) -> Settings:
    return derive_settings(
        Settings(),
        state_dir=tmp_path / "state",
        kafka={
            "bootstrap_servers": "127.0.0.1:1234",
            "client_config": {"security.protocol": "plaintext"},
        },
        broker={"heap_mb": 768, "port": 1234},
        milvus={
            "uri": "http://milvus.example:19530",
            "index_params": {"M": 8, "efConstruction": 64},
        },
        model={"batch_size": 7},
        airflow={"parallelism": 2},
    )


def test_env_round_trip_gives_identical_settings(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    custom = _custom(tmp_path)
    for name, value in custom.env().items():
        clean_env.setenv(name, value)
    assert get_settings() == custom


def test_settings_env_is_a_full_child_environment(tmp_path: Path) -> None:
    custom = _custom(tmp_path)
    env = settings_env(custom)
    assert env["TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:1234"
    assert env["TRENDSTREAM_STATE_DIR"] == str(tmp_path / "state")
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert set(os.environ) <= set(env)


def test_env_vars_beat_the_toml_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text('[kafka]\ntweets_topic = "from-file"\nconsumer_group = "file-group"\n')
    clean_env.setenv("TRENDSTREAM_CONFIG", str(config))
    clean_env.setenv("TRENDSTREAM_KAFKA__CONSUMER_GROUP", "env-group")
    settings = Settings()
    assert settings.kafka.tweets_topic == "from-file"
    assert settings.kafka.consumer_group == "env-group"


def test_default_toml_file_in_working_dir_is_read(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "trendstream.toml").write_text("[airflow]\nport = 18999\n")
    assert Settings().airflow.port == 18999


def test_a_missing_named_config_file_is_an_error(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("TRENDSTREAM_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        Settings()


def test_state_dir_is_made_absolute(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TRENDSTREAM_STATE_DIR", "relative/state")
    settings = Settings()
    assert settings.state_dir == tmp_path / "relative" / "state"
    assert settings.paths.state_dir == settings.state_dir


def test_derive_settings_merges_nested_overrides() -> None:
    base = Settings()
    derived = derive_settings(base, kafka={"tweets_topic": "t-1"})
    assert derived.kafka.tweets_topic == "t-1"
    assert derived.kafka.bootstrap_servers == base.kafka.bootstrap_servers
    assert base.kafka.tweets_topic != "t-1"
