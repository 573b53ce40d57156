"""Configuration: defaults, the file, environment overrides and secrets, and errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot._config import ConfigError, LoggingSettings, load_config
from bot._search import open_embedder, open_search_engine
from bot.cli import main

TOKEN = {"WARDBOT_TELEGRAM_TOKEN": "123:abc"}


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_key(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, text), environ=environ or {})
    return caught.value.key


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./bot.toml here
    config = load_config(environ={})
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)
    assert config.telegram.mode == "polling"
    assert config.telegram.webhook_url == ""
    assert config.telegram.per_chat_interval == 1.0
    assert config.telegram.api_url == "https://api.telegram.org/bot"
    assert not config.telegram_enabled
    assert config.database_path == Path("data/wardbot.sqlite3")


def test_the_file_and_the_environment_overlay_the_defaults(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        '[http]\nhost = "0.0.0.0"\nport = 9000\n[telegram]\nper_chat_interval = 2\n',
    )
    env = {
        "WARDBOT_HTTP_PORT": "9100",
        "WARDBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        "WARDBOT_DATA_DIR": str(tmp_path / "d"),
        **TOKEN,
    }
    config = load_config(path, environ=env)
    assert (config.http.host, config.http.port) == ("0.0.0.0", 9100)
    assert config.telegram.per_chat_interval == 2.0
    assert config.telegram.api_url == "http://127.0.0.1:8081/bot"
    assert config.telegram_enabled and config.secrets.telegram_token == "123:abc"
    assert config.database_path == tmp_path / "d" / "wardbot.sqlite3"


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    env = {**TOKEN, "WARDBOT_ADMIN_TOKEN": "s3cret", "WARDBOT_PSEUDONYM_KEY": "k3y"}
    text = repr(load_config(config_file(tmp_path, ""), environ=env))
    assert "123:abc" not in text and "s3cret" not in text and "k3y" not in text


def test_relative_knowledge_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ward"
    folder.mkdir()
    absolute = tmp_path / "elsewhere"
    path = config_file(folder, f'[knowledge]\npaths = ["kb", "{absolute}"]\n')
    assert load_config(path, environ={}).knowledge.paths == (str(folder / "kb"), str(absolute))


@pytest.mark.parametrize(
    ("text", "environ", "key"),
    [
        ("[http]\nport = 70000\n", {}, "http.port"),
        ('[http]\nport = "80"\n', {}, "http.port"),
        ("[http]\nport = 8080\n", {"WARDBOT_HTTP_PORT": "eighty"}, "WARDBOT_HTTP_PORT"),
        ("", {"WARDBOT_HTTP_PORT": "99999"}, "WARDBOT_HTTP_PORT"),
        ('[http]\nhost = ""\n', {}, "http.host"),
        ("[http]\nhots = 1\n", {}, "http.hots"),
        ('[telegram]\nmode = "push"\n', {}, "telegram.mode"),
        ('[officials]\ngroup_chat_id = "-100123"\n', {}, "officials.members"),
        ('[officials]\ngroup_chat_id = "ward group"\nmembers = ["1"]\n', {}, "officials.group_chat_id"),
        ("[officials]\nmembers = [123]\n", {}, "officials.members"),
        ('[officials]\nmembers = ["@lan"]\n', {}, "officials.members"),
        ('[officials]\nleader_chat_id = "boss"\n', {}, "officials.leader_chat_id"),
        ("[telegram]\nper_chat_interval = -1\n", {}, "telegram.per_chat_interval"),
        ('[telegram]\nwebhook_url = "http://bot.example/hook"\n', {}, "telegram.webhook_url"),
        ('[telegram]\napi_url = "api.telegram.org"\n', {}, "telegram.api_url"),
        ("", {"WARDBOT_TELEGRAM_API_URL": "ftp://x"}, "WARDBOT_TELEGRAM_API_URL"),
        ('[telegram]\nmode = "webhook"\n', TOKEN, "telegram.webhook_url"),
        ('[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example/hook"\n', TOKEN, "WARDBOT_TELEGRAM_WEBHOOK_SECRET"),
        ("", {"WARDBOT_TELEGRAM_WEBHOOK_SECRET": "not allowed!"}, "WARDBOT_TELEGRAM_WEBHOOK_SECRET"),
        ("[log]\nlevel = 1\n", {}, "log"),
        ('[logging]\nlevel = "LOUD"\n', {}, "logging.level"),
        ('[logging]\nlevel = "INFO"\n', {"WARDBOT_LOG_LEVEL": "chatty"}, "WARDBOT_LOG_LEVEL"),
        ('[logging]\nformat = "xml"\n', {}, "logging.format"),
        ('[logging]\npseudonym_key = "k"\n', {}, "logging.pseudonym_key"),
        ("[retrieval]\nmin_in_scope = 80\n", {}, "retrieval.min_in_scope"),
        ("[retrieval]\nanswer_confidence = -0.1\n", {}, "retrieval.answer_confidence"),
        ('[retrieval]\nbackend = "cuda"\n', {}, "retrieval.backend"),
        ('[retrieval]\nquery_precision = "int4"\n', {}, "retrieval.query_precision"),
        ("[retrieval]\nquery_precision = 8\n", {}, "retrieval.query_precision"),
    ],
)
def test_a_wrong_value_is_one_error_naming_its_key(tmp_path: Path, text: str, environ: dict[str, str], key: str) -> None:
    assert error_key(tmp_path, text, environ) == key


def test_the_log_level_comes_from_the_file_or_the_environment_in_any_case(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[logging]\nformat = "json"\nlevel = "warning"\n')
    assert load_config(path, environ={}).logging == LoggingSettings(format="json", level="WARNING")
    assert load_config(path, environ={"WARDBOT_LOG_LEVEL": "debug"}).logging.level == "DEBUG"
    assert load_config(config_file(tmp_path, ""), environ={}).logging == LoggingSettings(format="text", level="INFO")


def test_the_query_precision_reaches_the_onnx_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr("bot._search.OnnxEmbedder", lambda model, **options: opened.append(options))
    assert load_config(config_file(tmp_path, ""), environ={}).retrieval.query_precision == "int8"
    text = '[retrieval]\nmodel = "models/e5"\nquery_precision = "fp32"\n'
    open_embedder(load_config(config_file(tmp_path, text), environ={}))
    assert opened == [{"threads": 1, "query_precision": "fp32"}]


def test_webhook_mode_is_checked_only_when_telegram_runs(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, '[telegram]\nmode = "webhook"\n'), environ={})
    assert config.telegram.mode == "webhook" and not config.telegram_enabled
    env = {**TOKEN, "WARDBOT_TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123"}
    text = '[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example/hook"\n'
    assert load_config(config_file(tmp_path, text), environ=env).secrets.telegram_webhook_secret == "abc_DEF-123"


def test_a_secret_in_the_file_is_refused_with_its_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, '[telegram]\ntoken = "123:abc"\n'), environ={})
    assert caught.value.key == "telegram.token"
    assert "WARDBOT_TELEGRAM_TOKEN" in str(caught.value)


def test_the_command_line_prints_the_key_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path, '[telegram]\nmode = "push"\n')
    assert main(["--config", str(path), "log", "stats"]) == 2
    assert "telegram.mode" in capsys.readouterr().err


def test_the_officials_group(tmp_path: Path) -> None:
    text = '[officials]\ngroup_chat_id = "-1001234567890"\nmembers = ["111", "222"]\nleader_chat_id = "777"\n'
    officials = load_config(config_file(tmp_path, text), environ={}).officials
    assert (officials.group_chat_id, officials.members, officials.leader_chat_id) == ("-1001234567890", ("111", "222"), "777")
    assert load_config(config_file(tmp_path, ""), environ={}).officials.group_chat_id == ""


def test_the_answer_thresholds_reach_the_retriever(tmp_path: Path, tiny_kb: Path, hashing_embedder) -> None:
    text = "[retrieval]\nmin_in_scope = 0.5\nanswer_confidence = 0.9\n"
    config = load_config(config_file(tmp_path, text), environ={})
    engine = open_search_engine(config, [tiny_kb], embedder=hashing_embedder, progress=False)
    settings = engine.retriever.settings
    assert (settings.min_in_scope, settings.answer_confidence) == (0.5, 0.9)


def test_office_hours_come_from_the_file_and_reach_the_calendar(tmp_path: Path) -> None:
    import datetime as dt

    from tickets import DEFAULT_HOURS

    assert load_config(config_file(tmp_path, ""), environ={}).calendar.hours == DEFAULT_HOURS
    text = '[calendar]\nhours = [["08:00", "12:00"], ["13:00", "16:30"]]\n'
    calendar = load_config(config_file(tmp_path, text), environ={}).calendar.working_calendar()
    assert calendar.hours == ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(16, 30)))
    ward = dt.timezone(dt.timedelta(hours=7))
    # Monday 11:00 plus 2 working hours: one before the lunch break, one after it at 13:00.
    assert calendar.due(dt.datetime(2026, 3, 2, 11, tzinfo=ward), 2, "hours") == dt.datetime(2026, 3, 2, 14, tzinfo=ward)
    # A deadline in days ends when the last session closes.
    assert calendar.due(dt.datetime(2026, 3, 2, 9, tzinfo=ward), 1).time() == dt.time(16, 30)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ('"07:30-17:00"', 'calendar.hours: expected a list of sessions such as [["07:30", "11:30"], ["13:30", "17:00"]]'),
        ('[["07:30", "11:30", "12:00"]]', 'calendar.hours: session 1: expected ["opens", "closes"]'),
        ('[["07:30", "11:30"], "13:30"]', 'calendar.hours: session 2: expected ["opens", "closes"]'),
        ('[["7:30", "11:30"]]', "calendar.hours: session 1: expected a 24-hour time \"HH:MM\", got '7:30'"),
        ('[["07:30", "25:00"]]', "calendar.hours: session 1: expected a 24-hour time \"HH:MM\", got '25:00'"),
        ('[["07:30", 1130]]', 'calendar.hours: session 1: expected a 24-hour time "HH:MM", got 1130'),
        ("[]", "calendar.hours: at least one working session is needed"),
        ('[["11:30", "07:30"]]', "calendar.hours: session 1 (11:30-07:30) must open before it closes"),
        (
            '[["13:30", "17:00"], ["07:30", "11:30"]]',
            "calendar.hours: session 2 (07:30-11:30) must open after session 1 (13:30-17:00) closes",
        ),
        (
            '[["07:30", "12:00"], ["11:30", "17:00"]]',
            "calendar.hours: session 2 (11:30-17:00) must open after session 1 (07:30-12:00) closes: "
            "sessions go in the day's order and do not overlap",
        ),
    ],
)
def test_wrong_office_hours_stop_the_start_with_a_precise_message(tmp_path: Path, hours: str, message: str) -> None:
    path = config_file(tmp_path, f"[calendar]\nhours = {hours}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == "calendar.hours"
    assert str(caught.value).startswith(f"{path}: {message}")


def test_the_http_host_and_the_build_folder_come_from_the_environment(tmp_path: Path) -> None:
    env = {"WARDBOT_HTTP_HOST": "0.0.0.0", "WARDBOT_DATA_DIR": str(tmp_path / "data")}
    config = load_config(config_file(tmp_path, '[http]\nhost = "127.0.0.1"\n'), environ=env)
    assert config.http.host == "0.0.0.0"
    # Without WARDBOT_BUILD_DIR the model and the caches live in the data directory ...
    assert (config.models_dir, config.cache_dir) == (tmp_path / "data" / "models", tmp_path / "data" / "cache")
    # ... with it, beside the state and out of its backups; the state itself stays put.
    config = load_config(config_file(tmp_path, ""), environ={**env, "WARDBOT_BUILD_DIR": str(tmp_path / "build")})
    assert (config.models_dir, config.cache_dir) == (tmp_path / "build" / "models", tmp_path / "build" / "cache")
    assert config.database_path == tmp_path / "data" / "wardbot.sqlite3"
