"""The deployment files in deploy/, read statically against the code they deploy: the image, the
compose file, the systemd unit and the Caddy example must name what the application really reads,
serves and needs. (Building the image needs a Docker daemon and the network: `make docker`.)"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import tomllib
from pathlib import Path

import yaml

from bot._app import Application
from bot._config import _SECRET_VARIABLES, Config, load_config
from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SECRETS = {variable for variable, _ in _SECRET_VARIABLES.values()}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


def docker_env() -> dict[str, str]:
    env = {}
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def index(instruction: str, contains: str = "") -> int:
    """The position of the first such instruction in the Dockerfile."""
    for position, (name, arguments) in enumerate(dockerfile()):
        if name == instruction and contains in arguments:
            return position
    raise AssertionError(f"deploy/Dockerfile has no {instruction} {contains}")


def env_overrides() -> set[str]:
    """The non-secret WARDBOT_* variables the configuration reads."""
    found = {"WARDBOT_CONFIG", "WARDBOT_DATA_DIR", "WARDBOT_BUILD_DIR"}
    for section in (getattr(Config(), field.name) for field in dataclasses.fields(Config)):
        if dataclasses.is_dataclass(section):
            found |= {f.metadata["env"] for f in dataclasses.fields(section) if "env" in f.metadata}
    return found


def app_paths(tmp_path: Path) -> set[str]:
    """Every path the application serves with every channel on (webhooks, admin route)."""
    environ = {
        "WARDBOT_DATA_DIR": str(tmp_path / "data"),
        "WARDBOT_TELEGRAM_TOKEN": "123:abc",
        "WARDBOT_TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "WARDBOT_ZALO_APP_ID": "1",
        "WARDBOT_ZALO_OA_SECRET": "oa",
        "WARDBOT_ZALO_ACCESS_TOKEN": "token",
        "WARDBOT_ADMIN_TOKEN": "admin",
    }
    (tmp_path / "bot.toml").write_text(
        '[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example.org/webhooks/telegram"\n', encoding="utf-8"
    )
    app = Application(load_config(tmp_path / "bot.toml", environ=environ))
    assert app.http is not None
    return {route.resource.canonical for route in app.http._app.router.routes() if route.resource is not None}


def test_the_package_and_the_image_carry_the_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    (licence,) = project["license-files"]
    assert (ROOT / licence).read_text(encoding="utf-8").startswith("MIT License\n\nCopyright (c) 2026 wardbot contributors\n")
    copied = [arguments.split()[:-1] for name, arguments in dockerfile() if name == "COPY"]
    assert any(licence in sources for sources in copied)


def test_the_image_installs_cpu_torch_pinned_first(tmp_path: Path) -> None:
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = [dependency for dependency in pyproject["project"]["dependencies"] if dependency.startswith("torch")]
    assert pin == "torch==2.13.0" and f"install --quiet {pin}" in (ROOT / "Makefile").read_text(encoding="utf-8")
    torch = index("RUN", f'pip install --index-url "$TORCH_INDEX_URL" {pin}')
    assert "download.pytorch.org/whl/cpu" in instructions[index("ARG", "TORCH_INDEX_URL")][1]
    assert torch < index("RUN", "pip install /opt/wardbot")  # wardbot then finds torch satisfied
    # Only what the image installs reaches the build context: never .venv, data/ or secrets.
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    assert "*" in ignored and not allowed & {".venv", "data", ".git", "deploy"}
    for name, arguments in instructions:
        if name == "COPY":
            *sources, _ = arguments.split()
            assert all(source.rstrip("/") in allowed and (ROOT / source).exists() for source in sources), arguments


def test_the_image_runs_as_a_user_with_the_data_directory_a_volume() -> None:
    env = docker_env()
    config = load_config(ROOT / "bot.toml", environ=env)
    # The variables the image sets are the ones the configuration reads, to the values meant.
    assert (config.data_dir, config.http.host, config.http.port) == (Path("/data"), "0.0.0.0", 8080)
    assert config.build_dir is not None and not config.models_dir.is_relative_to(config.data_dir)
    assert json.loads(dockerfile()[index("VOLUME")][1]) == [str(config.data_dir)]
    user, accounts = dockerfile()[index("USER")][1], dockerfile()[index("RUN", "useradd")][1]
    assert user not in ("root", "0") and f"--shell /usr/sbin/nologin {user}" in accounts
    assert f"chown {user}:{user} {config.data_dir} {env['WARDBOT_BUILD_DIR']}" in accounts
    # prepare runs as that user (its cache stays writable) and before VOLUME (writes after it are lost).
    assert index("USER") < index("RUN", "wardbot prepare") < index("VOLUME") < index("ENTRYPOINT")
    assert dockerfile()[index("ENTRYPOINT")][1] == '["wardbot"]' and dockerfile()[index("CMD", "run")][1] == '["run"]'
    for command in (["prepare"], ["run"], ["backup", "--to", "/backups/x"], ["restore", "--from", "/backups/x"]):
        assert build_parser().parse_args(command).handler  # the commands the image is run with
    assert dockerfile()[index("EXPOSE")][1] == str(config.http.port)
    assert f"http://127.0.0.1:{config.http.port}/healthz" in dockerfile()[index("HEALTHCHECK")][1]
    assert not SECRETS & set(env)  # secrets come at run time, never baked into a layer
    assert env["ORT_DISABLE_TELEMETRY"] == "1"  # nothing written under the user's (absent) home


def test_compose_builds_the_image_with_the_volume_secrets_and_restart_policy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert (DEPLOY / service["build"]["context"]).resolve() == ROOT
    assert service["build"]["dockerfile"] == "deploy/Dockerfile" and service["image"].startswith("wardbot")
    assert service["restart"] in ("always", "unless-stopped")
    mounts = dict(volume.split(":", 1) for volume in service["volumes"])
    assert set(mounts) <= set(compose["volumes"]) and mounts["wardbot-data"] == docker_env()["WARDBOT_DATA_DIR"]
    # Backups in a volume of their own: a backup of /data must not hold the backups before it.
    assert mounts.get("wardbot-backups") == "/backups"
    # Published on the host's loopback only, to the port the image listens on: the proxy is public.
    assert service["ports"] == [f"127.0.0.1:8080:{docker_env()['WARDBOT_HTTP_PORT']}"]
    # Secrets from an env file that git ignores, never written in the compose file.
    assert service["env_file"] == ["wardbot.env"]
    assert "deploy/wardbot.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert not SECRETS & set(service.get("environment", {}))


def test_the_env_example_names_every_secret_and_holds_none() -> None:
    lines = (DEPLOY / "wardbot.env.example").read_text(encoding="utf-8").splitlines()
    pairs = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert SECRETS <= set(pairs) <= SECRETS | env_overrides()
    assert set(pairs.values()) == {""}


def systemd_unit() -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in (DEPLOY / "wardbot.service").read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        elif line and not line.startswith("#"):
            key, value = line.split("=", 1)
            sections[current].append((key, value))
    return sections


def test_the_systemd_unit_is_hardened_and_reads_its_secrets_from_a_file() -> None:
    unit = systemd_unit()
    service = dict(unit["Service"])
    environment = dict(value.split("=", 1) for key, value in unit["Service"] if key == "Environment")
    for key, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "PrivateDevices": "true",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "true",
        "Restart": "on-failure",
        "ExecReload": "/bin/kill -HUP $MAINPID",  # the application reloads its KB on SIGHUP
    }.items():
        assert service.get(key) == value, key
    assert service["User"] not in ("root", "0") and service["EnvironmentFile"].startswith("/etc/wardbot/")
    assert shlex.split(service["ExecStart"])[1:] == ["run"] and service["ExecStart"].endswith("/wardbot run")
    # ProtectSystem=strict leaves writable only the directories systemd makes for the service.
    assert environment["WARDBOT_DATA_DIR"] == f"/var/lib/{service['StateDirectory']}"
    assert environment["WARDBOT_BUILD_DIR"] == f"/var/cache/{service['CacheDirectory']}"
    config = load_config(ROOT / "bot.toml", environ=environment)
    assert config.data_dir == Path("/var/lib/wardbot") and config.models_dir == Path("/var/cache/wardbot/models")
    assert not SECRETS & set(environment) and environment["ORT_DISABLE_TELEMETRY"] == "1"
    assert dict(unit["Install"])["WantedBy"] == "multi-user.target"
    assert "network-online.target" in dict(unit["Unit"])["After"]


def test_caddy_proxies_exactly_the_public_routes_of_the_app(tmp_path: Path) -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    (matcher,) = re.findall(r"^\s*@public path (.+)$", text, re.MULTILINE)
    proxied = set(matcher.split())
    served = app_paths(tmp_path)
    assert {"/", "/api/messages", "/healthz", "/webhooks/telegram", "/webhooks/zalo"} <= served
    assert {"/admin/reload", "/metrics"} <= served
    # The web console is for the ward's own network, never proxied.
    private = {path for path in served if path == "/metrics" or path.startswith(("/admin/", "/console/"))}
    assert proxied == served - private, "a route was added or removed: deploy/Caddyfile decides whether it is public"
    # One proxy, inside the public handle; everything else, the private routes among it, is a 404.
    assert text.count("reverse_proxy") == 1
    public_block = text[text.index("handle @public {") : text.index("handle {")]
    assert "reverse_proxy 127.0.0.1:8080" in public_block
    assert re.search(r"handle \{\s*respond 404\s*\}", text)


def test_make_docker_builds_the_image() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\.PHONY:.* docker\b", makefile, re.MULTILINE)
    recipe = makefile.split("\ndocker:\n", 1)[1].splitlines()[0]
    assert recipe == "\tDOCKER_BUILDKIT=1 docker build -f deploy/Dockerfile -t wardbot ."
