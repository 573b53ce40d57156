"""Configuration: embedded defaults, overlaid by ``bot.toml`` and ``WARDBOT_*`` environment variables.

Validation is eager: a wrong key or value stops start-up with one message naming the key.
Secrets (bot tokens, the admin token, the pseudonym key) come from the environment only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from retrieval import RetrieverSettings
from tickets import (
    DEFAULT_HOURS,
    DEFAULT_POLICIES,
    Category,
    DeadlinePolicy,
    WorkingCalendar,
    WorkingPeriod,
    check_hours,
)
from wardbot_errors import WardbotError


class ConfigError(WardbotError):
    """A configuration problem, with the key it concerns (e.g. ``retrieval.threads``)."""

    exit_status = 2  # the command was not run: a usage error, as argparse's

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}")


def _env_override(default: Any, variable: str) -> Any:
    """A settings field that the environment variable ``variable`` overrides when set."""
    return field(default=default, metadata={"env": variable})


@dataclass(frozen=True)
class WardSettings:
    name: str = "Phường Mẫu"
    contact: str = "Bộ phận Một cửa, Trung tâm Phục vụ hành chính công phường"


@dataclass(frozen=True)
class KnowledgeSettings:
    paths: tuple[str, ...] = ()  # relative paths are resolved against the config file's folder
    # The national layer: every procedure of the National Public Service Portal, read-only, under
    # the ward's entries (a ward entry with the same code replaces the national one).
    national: bool = True


@dataclass(frozen=True)
class RetrievalSettings:
    model: str = ""
    backend: str = "onnx"  # or "torch": how the model encodes (same vectors, onnx twice as fast)
    # "int8" or "fp32": the ONNX graph that encodes queries (passages always fp32); torch ignores it
    query_precision: str = "int8"
    # The LoRA adapter merged into the model: "default" is wardbot's own (trained by `make train`)
    # on the built-in model and none on a `model` of your own; "" is none; else a file path.
    adapter: str = "default"
    threads: int = 1
    # Below this calibrated probability that a message is about the KB at all, the bot says it has
    # no answer; at or above answer_confidence that the top hit is right it answers, and in
    # between it asks the citizen to choose (docs/retrieval.md has the trade-off measured).
    min_in_scope: float = RetrieverSettings().min_in_scope
    answer_confidence: float = RetrieverSettings().answer_confidence


@dataclass(frozen=True)
class HttpSettings:
    """The one aiohttp server: web chat, Telegram webhook, ``/healthz``, ``/metrics``, admin."""

    # In a container the bot must listen on every interface to be reached through the published
    # port, without a config file of its own: the image sets WARDBOT_HTTP_HOST.
    host: str = _env_override("127.0.0.1", "WARDBOT_HTTP_HOST")
    port: int = _env_override(8080, "WARDBOT_HTTP_PORT")  # 0 picks a free port (tests)
    # Addresses of reverse proxies in front of the bot: a request from one is attributed to the
    # client its X-Forwarded-For names, for the limits per client address.
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebSettings:
    """The web chat. Its page posts from the bot's own origin, also inside the widget (an iframe
    of that origin); list here other sites (``https://host``) whose pages may post to its API."""

    allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsoleSettings:
    """The ward's web console (``/console/``, bot/console/): on the bot's one HTTP server, or, when
    ``host`` or ``port`` is set, on a site of its own, so that a ward can keep it on its internal
    network. It stays off (404) until the first admin exists (``wardbot users add``)."""

    host: str = _env_override("", "WARDBOT_CONSOLE_HOST")  # empty: [http] host, when port is set
    port: int = _env_override(0, "WARDBOT_CONSOLE_PORT")  # 0 with host empty: the bot's one server
    session_hours: float = 8.0  # a login lasts this long (a working day), then the official logs in again

    @property
    def separate(self) -> bool:
        """Whether the console is served on a site of its own rather than the bot's server."""
        return bool(self.host or self.port)


# How the Telegram channel receives updates ([telegram] mode); the channel imports these too.
TELEGRAM_MODES = ("polling", "webhook")
# What Telegram accepts as a webhook secret token (WARDBOT_TELEGRAM_WEBHOOK_SECRET).
TELEGRAM_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Which body field starts the string a Zalo webhook signature covers ([zalo] signature_prefix):
# app_id (documented) or oa_id (reported).
ZALO_SIGNATURE_PREFIXES = ("app_id", "oa_id")


def _choices(values: tuple[str, ...]) -> str:
    return " or ".join(f'"{value}"' for value in values)


@dataclass(frozen=True)
class TelegramSettings:
    mode: str = "polling"  # or "webhook": updates arrive at POST /webhooks/telegram
    webhook_url: str = ""  # the public https address Telegram posts to, in webhook mode
    per_chat_interval: float = 1.0  # seconds between two messages to one chat (Telegram's limit)
    api_url: str = _env_override("https://api.telegram.org/bot", "WARDBOT_TELEGRAM_API_URL")


@dataclass(frozen=True)
class ZaloSettings:
    """The Zalo Official Account: on when WARDBOT_ZALO_OA_SECRET and a token are set."""

    app_id: str = _env_override("", "WARDBOT_ZALO_APP_ID")
    api_url: str = _env_override("https://openapi.zalo.me", "WARDBOT_ZALO_API_URL")
    oauth_url: str = _env_override("https://oauth.zaloapp.com", "WARDBOT_ZALO_OAUTH_URL")
    # The webhook signature's key and first term: Zalo's OA docs and Chatwoot's Zalo integration
    # (chatwoot/chatwoot) use the OA secret key and app_id; some community code uses the app secret
    # or oa_id. The documented ones are the defaults and the others can be chosen.
    signature_key: str = "oa_secret"  # or "app_secret"
    signature_prefix: str = "app_id"  # or "oa_id"


@dataclass(frozen=True)
class LoggingSettings:
    """What ``wardbot run`` writes to stderr; secrets and raw chat ids never appear (``_logging.py``)."""

    format: str = "text"  # or "json": one object per line (time, level, logger, message, exception)
    level: str = _env_override("INFO", "WARDBOT_LOG_LEVEL")  # one of LOG_LEVELS, any case


# What [logging] level accepts, quietest last.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# A clock time as bot.toml writes office hours: 24-hour "HH:MM".
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _office_hours(key: str, value: Any, source: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``[calendar] hours``, each session a pair of "HH:MM" strings, checked as the calendar checks them."""
    if not isinstance(value, list):
        expected = 'expected a list of sessions such as [["07:30", "11:30"], ["13:30", "17:00"]]'
        raise ConfigError(key, f"{expected}, got {value!r}", source)
    sessions = []
    for number, session in enumerate(value, start=1):
        if not (isinstance(session, list) and len(session) == 2):
            expected = 'expected ["opens", "closes"] such as ["07:30", "11:30"]'
            raise ConfigError(key, f"session {number}: {expected}, got {session!r}", source)
        for moment in session:
            if not (isinstance(moment, str) and _CLOCK_TIME.fullmatch(moment)):
                raise ConfigError(key, f'session {number}: expected a 24-hour time "HH:MM", got {moment!r}', source)
        sessions.append((dt.time.fromisoformat(session[0]), dt.time.fromisoformat(session[1])))
    try:
        check_hours(sessions)
    except ValueError as exc:
        raise ConfigError(key, str(exc).removeprefix("hours: "), source) from None
    return tuple(sessions)


@dataclass(frozen=True)
class CalendarSettings:
    # The working-day overrides CSV (tickets/calendar_overrides.csv shows the format), relative to the
    # config file; empty means the file bundled with wardbot.
    overrides: str = ""
    # The office's sessions: deadlines in hours count only these, and a deadline in days falls at
    # the close of the last one. Written [["07:30", "11:30"], ["13:30", "17:00"]] in bot.toml.
    hours: tuple[tuple[dt.time, dt.time], ...] = field(default=DEFAULT_HOURS, metadata={"parse": _office_hours})

    def working_calendar(self) -> WorkingCalendar:
        """The ward's calendar: these overrides (else the bundled file) and office hours."""
        return WorkingCalendar.from_file(self.overrides or None, hours=self.hours)


@dataclass(frozen=True)
class OfficialsSettings:
    """The officials' Telegram group: new tickets are announced there, and its members act on them."""

    group_chat_id: str = ""  # empty: no group; groups have negative ids, e.g. "-1001234567890"
    members: tuple[str, ...] = ()  # Telegram user ids allowed to act on tickets from the group
    leader_chat_id: str = ""  # where late tickets escalate (the ward leader's chat)


@dataclass(frozen=True)
class PrivacySettings:
    """How long each kind of personal data is kept (Decree 13/2023/NĐ-CP on personal data
    protection asks for a retention period per kind, and deletion once it is over). A scheduled
    purge deletes what has expired; the compliance log's figures (channel, outcome, latency) are
    not personal and stay for the reports."""

    messages_days: int = 90  # message texts, the bot's replies and the chat ids with them, from receipt
    conversations_days: int = 30  # a conversation's state (a report half taken), after its last message
    unanswered_days: int = 180  # questions the bot could not answer ("most asked" in reports), from asking
    uploads_days: int = 30  # web chat photos that no ticket still holds, from upload
    closed_tickets_days: int = 180  # a closed ticket's personal fields, from closing; the record stays
    purge_every_hours: float = 6.0


@dataclass(frozen=True)
class TicketSettings:
    # Per category ([tickets.policy.feedback], [tickets.policy.question]): the answer limit and
    # when to warn; a category left out keeps its default (tickets.DEFAULT_POLICIES).
    policies: Mapping[Category, DeadlinePolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))


def _tickets(raw: Any, source: str) -> TicketSettings:
    """``[tickets.policy.<category>]`` tables: ``amount``, ``unit`` ("days" or "hours") and
    ``warn_before = {amount = N, unit = "days"}``."""
    if not isinstance(raw, dict):
        raise ConfigError("tickets", "expected a table", source)
    if unknown := set(raw) - {"policy"}:
        raise ConfigError(f"tickets.{min(unknown)}", "unknown key (known: policy)", source)
    policies = dict(DEFAULT_POLICIES)
    tables = raw.get("policy", {})
    if not isinstance(tables, dict):
        raise ConfigError("tickets.policy", "expected a table of categories", source)
    for name, table in tables.items():
        key = f"tickets.policy.{name}"
        if name not in Category._value2member_map_:
            raise ConfigError(key, f"unknown category (known: {', '.join(c.value for c in Category)})", source)
        default = DEFAULT_POLICIES[Category(name)]
        if not isinstance(table, dict) or set(table) - {"amount", "unit", "warn_before"}:
            raise ConfigError(key, "expected a table of amount, unit and warn_before", source)
        warn = table.get("warn_before", {})
        if not isinstance(warn, dict) or set(warn) - {"amount", "unit"}:
            raise ConfigError(f"{key}.warn_before", 'expected {amount = N, unit = "days"}', source)
        try:
            warn_before = WorkingPeriod(
                _coerce(f"{key}.warn_before.amount", warn.get("amount", default.warn_before.amount), 0, source),
                _coerce(f"{key}.warn_before.unit", warn.get("unit", default.warn_before.unit), "", source),
            )
            policies[Category(name)] = DeadlinePolicy(
                _coerce(f"{key}.amount", table.get("amount", default.amount), 0, source),
                _coerce(f"{key}.unit", table.get("unit", default.unit), "", source),
                warn_before,
            )
        except ValueError as exc:
            raise ConfigError(key, str(exc), source) from None
    return TicketSettings(policies=policies)


@dataclass(frozen=True)
class Secrets:
    """Values read from the environment only, and never shown by ``repr``."""

    telegram_token: str = field(default="", repr=False)
    telegram_webhook_secret: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)  # guards POST /admin/reload
    pseudonym_key: str = field(default="", repr=False)  # else generated into the data directory
    zalo_oa_secret: str = field(default="", repr=False)  # the webhook signature key
    zalo_app_secret: str = field(default="", repr=False)  # refreshes the access token
    zalo_access_token: str = field(default="", repr=False)
    zalo_refresh_token: str = field(default="", repr=False)  # first start only; then the stored one
    console_secret: str = field(default="", repr=False)  # signs console sessions; else generated


# Each secret's environment variable, and the bot.toml key someone might wrongly put it under.
_SECRET_VARIABLES = {
    "telegram_token": ("WARDBOT_TELEGRAM_TOKEN", "telegram.token"),
    "telegram_webhook_secret": ("WARDBOT_TELEGRAM_WEBHOOK_SECRET", "telegram.webhook_secret"),
    "admin_token": ("WARDBOT_ADMIN_TOKEN", "http.admin_token"),
    "pseudonym_key": ("WARDBOT_PSEUDONYM_KEY", "logging.pseudonym_key"),
    "zalo_oa_secret": ("WARDBOT_ZALO_OA_SECRET", "zalo.oa_secret"),
    "zalo_app_secret": ("WARDBOT_ZALO_APP_SECRET", "zalo.app_secret"),
    "zalo_access_token": ("WARDBOT_ZALO_ACCESS_TOKEN", "zalo.access_token"),
    "zalo_refresh_token": ("WARDBOT_ZALO_REFRESH_TOKEN", "zalo.refresh_token"),
    "console_secret": ("WARDBOT_CONSOLE_SECRET", "console.secret"),
}
_SECRET_KEYS = {key: variable for variable, key in _SECRET_VARIABLES.values()}


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    # Where the derived files go, the built model and the caches (WARDBOT_BUILD_DIR); None keeps
    # them in the data directory. A container image prepares them outside its data volume.
    build_dir: Path | None = None
    ward: WardSettings = field(default_factory=WardSettings)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    zalo: ZaloSettings = field(default_factory=ZaloSettings)
    web: WebSettings = field(default_factory=WebSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    officials: OfficialsSettings = field(default_factory=OfficialsSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    secrets: Secrets = field(default_factory=Secrets)

    @property
    def models_dir(self) -> Path:
        return (self.build_dir or self.data_dir) / "models"

    @property
    def national_dir(self) -> Path:
        """Where ``wardbot kb import-portal --national`` puts a refreshed national layer."""
        return self.data_dir / "national"

    @property
    def kb_snapshot_path(self) -> Path:
        """The last knowledge base that was served without problems."""
        return self.data_dir / "kb-snapshot.pickle"

    @property
    def cache_dir(self) -> Path:
        return (self.build_dir or self.data_dir) / "cache"

    @property
    def database_path(self) -> Path:
        """The SQLite file holding messages, the outbox, dialogue state and the compliance log."""
        return self.data_dir / "wardbot.sqlite3"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.secrets.telegram_token)

    @property
    def zalo_enabled(self) -> bool:
        secrets = self.secrets
        return bool(secrets.zalo_oa_secret and (secrets.zalo_access_token or secrets.zalo_refresh_token))


_SECTIONS = {
    "ward": WardSettings,
    "knowledge": KnowledgeSettings,
    "retrieval": RetrievalSettings,
    "http": HttpSettings,
    "telegram": TelegramSettings,
    "zalo": ZaloSettings,
    "web": WebSettings,
    "logging": LoggingSettings,
    "calendar": CalendarSettings,
    "officials": OfficialsSettings,
    "privacy": PrivacySettings,
    "console": ConsoleSettings,
}
_EXPECTED = {bool: "true or false", int: "a whole number", float: "a number", tuple: "a list of strings"}


def _coerce(key: str, value: Any, default: Any, source: str) -> Any:
    """Check ``value`` against the type of the default it replaces."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(key, f"expected {_EXPECTED.get(type(default), 'a string')}, got {value!r}", source)
    return value


def _parse_env(variable: str, text: str, default: Any) -> Any:
    """An environment variable's text as the type of the setting it overrides."""
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        try:
            return type(default)(text)
        except ValueError:
            raise ConfigError(variable, f"expected {_EXPECTED[type(default)]}, got {text!r}") from None
    return text


def _section(name: str, raw: Any, source: str, env: Mapping[str, str]) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError(name, "expected a table", source)
    defaults = cls()
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in raw.items():
        if f"{name}.{key}" in _SECRET_KEYS:
            variable = _SECRET_KEYS[f"{name}.{key}"]
            raise ConfigError(f"{name}.{key}", f"secrets are never read from the file: set {variable}", source)
        if key not in known:
            raise ConfigError(f"{name}.{key}", f"unknown key (known: {', '.join(sorted(known))})", source)
        # A field with a parser of its own (office hours) is more than one plain value.
        if parse := known[key].metadata.get("parse"):
            values[key] = parse(f"{name}.{key}", value, source)
        else:
            values[key] = _coerce(f"{name}.{key}", value, getattr(defaults, key), source)
    for f in fields(cls):
        env_variable = f.metadata.get("env")
        if env_variable and env.get(env_variable):
            values[f.name] = _parse_env(env_variable, env[env_variable], getattr(defaults, f.name))
    return cls(**values)


def config_file(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The file :func:`load_config` reads: ``path``, else ``$WARDBOT_CONFIG``, else ``./bot.toml``."""
    explicit = path or (os.environ if environ is None else environ).get("WARDBOT_CONFIG")
    return Path(explicit) if explicit else Path("bot.toml")


def data_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$WARDBOT_DATA_DIR``, else ``./data``: known without a valid configuration, which
    ``wardbot restore`` may be about to put back."""
    return Path((os.environ if environ is None else environ).get("WARDBOT_DATA_DIR") or "data")


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Build the configuration from the defaults, a TOML file and the environment.

    The file is ``path``, else ``$WARDBOT_CONFIG``, else ``./bot.toml`` when it exists.
    """
    env = os.environ if environ is None else environ
    explicit = path or env.get("WARDBOT_CONFIG")
    file = config_file(path, environ=env)
    raw: dict[str, Any] = {}
    source = str(file)
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("(file)", f"not valid TOML: {exc}", source) from None
    elif explicit:
        raise ConfigError("WARDBOT_CONFIG" if not path else "(file)", f"no such file: {file}")
    for name in raw:
        if name not in _SECTIONS and name != "tickets":
            known = ", ".join(sorted([*_SECTIONS, "tickets"]))
            raise ConfigError(name, f"unknown section (known: {known})", source)
    # Every section is built, so that environment overrides apply even without a file.
    sections = {name: _section(name, raw.get(name, {}), source, env) for name in _SECTIONS}
    # KB paths written in the file mean "next to this file", wherever wardbot is started from.
    knowledge = sections["knowledge"]
    sections["knowledge"] = dataclasses.replace(knowledge, paths=tuple(str(file.parent / p) for p in knowledge.paths))
    if (adapter := sections["retrieval"].adapter) not in ("default", ""):
        sections["retrieval"] = dataclasses.replace(sections["retrieval"], adapter=str(file.parent / adapter))
    if overrides := sections["calendar"].overrides:
        sections["calendar"] = dataclasses.replace(sections["calendar"], overrides=str(file.parent / overrides))
    # "debug" and "DEBUG" alike, as Python's logging spells its levels.
    sections["logging"] = dataclasses.replace(sections["logging"], level=sections["logging"].level.upper())
    secrets = Secrets(**{name: env.get(variable, "") for name, (variable, _) in _SECRET_VARIABLES.items()})
    data_dir = data_directory(env)
    build_dir = Path(env["WARDBOT_BUILD_DIR"]) if env.get("WARDBOT_BUILD_DIR") else None
    tickets = _tickets(raw.get("tickets", {}), source)
    config = Config(data_dir=data_dir, build_dir=build_dir, secrets=secrets, tickets=tickets, **sections)
    from ._config_check import _check  # it reads the classes above: imported once they exist

    _check(config, source, env)
    return config
