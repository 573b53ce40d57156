"""The configuration's value and cross-field rules (:func:`bot._config.load_config` applies
them last), each failure naming the key, or the environment variable, to fix."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

from retrieval import QUERY_PRECISIONS

from ._config import (
    LOG_LEVELS,
    TELEGRAM_MODES,
    TELEGRAM_WEBHOOK_SECRET,
    ZALO_SIGNATURE_PREFIXES,
    Config,
    ConfigError,
    PrivacySettings,
    _choices,
)

# A Telegram chat or user id: users are positive, groups negative.
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,20}")
# A web origin as browsers send it: scheme and host (and port), no path.
_ORIGIN = re.compile(r"https?://[^/\s]+", re.IGNORECASE)


def _check(config: Config, source: str, env: Mapping[str, str]) -> None:
    """Value and cross-field rules, each failure naming the key (or environment variable) to fix."""

    def key(name: str, variable: str) -> str:
        return variable if env.get(variable) else name

    if not 0 <= config.http.port <= 65535:
        port_key = key("http.port", "WARDBOT_HTTP_PORT")
        raise ConfigError(port_key, f"expected a port number 0-65535, got {config.http.port}", source)
    if not config.http.host:
        raise ConfigError("http.host", "must not be empty", source)
    console = config.console
    if not 0 <= console.port <= 65535:
        port_key = key("console.port", "WARDBOT_CONSOLE_PORT")
        raise ConfigError(port_key, f"expected a port number 0-65535, got {console.port}", source)
    if console.separate and console.port and console.port == config.http.port and console.host in ("", config.http.host):
        port_key = key("console.port", "WARDBOT_CONSOLE_PORT")
        raise ConfigError(port_key, f"the web chat's server already listens on port {console.port} (http.port)", source)
    if not 0 < console.session_hours <= 24 * 7:
        expected = "expected hours above 0, at most a week (168)"
        raise ConfigError("console.session_hours", f"{expected}, got {console.session_hours}", source)
    for proxy in config.http.trusted_proxies:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise ConfigError("http.trusted_proxies", f"expected IP addresses, got {proxy!r}", source) from None
    for origin in config.web.allowed_origins:
        if not _ORIGIN.fullmatch(origin.rstrip("/")):
            raise ConfigError("web.allowed_origins", f'expected origins such as "https://host", got {origin!r}', source)
    telegram = config.telegram
    if telegram.mode not in TELEGRAM_MODES:
        raise ConfigError("telegram.mode", f"expected {_choices(TELEGRAM_MODES)}, got {telegram.mode!r}", source)
    if telegram.per_chat_interval < 0:
        raise ConfigError("telegram.per_chat_interval", "must not be negative", source)
    if not telegram.api_url.startswith(("http://", "https://")):
        api_key = key("telegram.api_url", "WARDBOT_TELEGRAM_API_URL")
        raise ConfigError(api_key, f"expected an http(s) address, got {telegram.api_url!r}", source)
    if telegram.webhook_url and not telegram.webhook_url.startswith("https://"):
        raise ConfigError("telegram.webhook_url", "Telegram only posts to https:// addresses", source)
    secret = config.secrets.telegram_webhook_secret
    if secret and not TELEGRAM_WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError("WARDBOT_TELEGRAM_WEBHOOK_SECRET", "1-256 characters of A-Z a-z 0-9 _ -")
    zalo = config.zalo
    for name, variable in (("api_url", "WARDBOT_ZALO_API_URL"), ("oauth_url", "WARDBOT_ZALO_OAUTH_URL")):
        value = getattr(zalo, name)
        if not value.startswith(("http://", "https://")):
            raise ConfigError(key(f"zalo.{name}", variable), f"expected an http(s) address, got {value!r}", source)
    if zalo.signature_key not in ("oa_secret", "app_secret"):
        raise ConfigError(
            "zalo.signature_key", f'expected "oa_secret" or "app_secret", got {zalo.signature_key!r}', source
        )
    if zalo.signature_prefix not in ZALO_SIGNATURE_PREFIXES:
        raise ConfigError(
            "zalo.signature_prefix",
            f"expected {_choices(ZALO_SIGNATURE_PREFIXES)}, got {zalo.signature_prefix!r}",
            source,
        )
    if config.zalo_enabled:
        if not zalo.app_id:
            raise ConfigError(
                key("zalo.app_id", "WARDBOT_ZALO_APP_ID"), "required when Zalo is on (set WARDBOT_ZALO_APP_ID)", source
            )
        if config.secrets.zalo_refresh_token and not config.secrets.zalo_app_secret:
            raise ConfigError("WARDBOT_ZALO_APP_SECRET", "required to refresh with WARDBOT_ZALO_REFRESH_TOKEN")
        if zalo.signature_key == "app_secret" and not config.secrets.zalo_app_secret:
            raise ConfigError("WARDBOT_ZALO_APP_SECRET", 'required when zalo.signature_key is "app_secret"')
    if config.logging.format not in ("text", "json"):
        raise ConfigError("logging.format", f'expected "text" or "json", got {config.logging.format!r}', source)
    if config.logging.level not in LOG_LEVELS:
        allowed = ", ".join(f'"{level}"' for level in LOG_LEVELS)
        raise ConfigError(
            key("logging.level", "WARDBOT_LOG_LEVEL"),
            f"expected one of {allowed}, got {config.logging.level!r}",
            source,
        )
    if config.retrieval.backend not in ("onnx", "torch"):
        raise ConfigError(
            "retrieval.backend", f'expected "onnx" or "torch", got {config.retrieval.backend!r}', source
        )
    adapter = config.retrieval.adapter
    if adapter not in ("default", "") and not Path(adapter).is_file():
        raise ConfigError("retrieval.adapter", f'no such file: {adapter} (use "default" or "" for none)', source)
    if config.retrieval.query_precision not in QUERY_PRECISIONS:
        allowed = " or ".join(f'"{precision}"' for precision in QUERY_PRECISIONS)
        raise ConfigError(
            "retrieval.query_precision", f"expected {allowed}, got {config.retrieval.query_precision!r}", source
        )
    for name in ("min_in_scope", "answer_confidence"):
        value = getattr(config.retrieval, name)
        if not 0 <= value <= 1:
            raise ConfigError(f"retrieval.{name}", f"expected a probability between 0 and 1, got {value}", source)
    overrides = config.calendar.overrides
    if overrides and not Path(overrides).is_file():
        raise ConfigError("calendar.overrides", f"no such file: {overrides}", source)
    officials = config.officials
    for name in ("group_chat_id", "leader_chat_id"):
        value = getattr(officials, name)
        if value and not _TELEGRAM_ID.fullmatch(value):
            expected = 'expected a Telegram chat id such as "-1001234567890"'
            raise ConfigError(f"officials.{name}", f"{expected}, got {value!r}", source)
    for member in officials.members:
        if not _TELEGRAM_ID.fullmatch(member):
            expected = 'expected Telegram user ids as strings, such as "123456789"'
            raise ConfigError("officials.members", f"{expected}, got {member!r}", source)
    if officials.group_chat_id and not officials.members:
        raise ConfigError("officials.members", "required when officials.group_chat_id is set: no one could act", source)
    for item in fields(PrivacySettings):
        # Zero would delete what the bot still needs (a reply being delivered, a report being taken).
        if (value := getattr(config.privacy, item.name)) <= 0:
            raise ConfigError(f"privacy.{item.name}", f"expected a number above 0, got {value}", source)
    if config.telegram_enabled and telegram.mode == "webhook":
        if not telegram.webhook_url:
            raise ConfigError("telegram.webhook_url", "required when telegram.mode is webhook", source)
        if not secret:
            raise ConfigError("WARDBOT_TELEGRAM_WEBHOOK_SECRET", "required when telegram.mode is webhook")
