"""The production deployment (deploy/): fails if a door opens.

* the compose file is valid (``docker compose config``, no daemon needed; deploy/compose.sh
  installs Docker Compose when the machine has none) and keeps its promises: only the proxy
  publishes a port, every long-running service has a health check, the private network has
  no route out, secrets only from the environment and required;
* the Rasa start script never enables the HTTP API without a token;
* the production channels are Telegram only; nginx forwards only the webhook path;
* Rasa really starts with deploy/endpoints.yml on the local PostgreSQL (tracker store) and
  Redis (lock store), answers its API only with the token and has no REST channel.

The last test needs PostgreSQL and Redis on 127.0.0.1; outside CI it is skipped when they
are not running (in CI it fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from devserver.servers import BIN, MODEL, free_port, stop

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
ENTRYPOINT = DEPLOY / "rasa-entrypoint.sh"
WEBHOOK = "/webhooks/telegram/webhook"
REQUIRED_SECRETS = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_SECRET_TOKEN",
    "ACTION_SERVER_TOKEN",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "TLS_CERT_DIR",
]
SECRET_KEY = re.compile(r"(TOKEN|PASSWORD|SECRET)", re.I)
GOOD_TOKEN = "0123456789abcdef0123456789abcdef"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def compose(*args: str, env_file: Path = ENV_EXAMPLE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_SECRETS}
    return subprocess.run(
        [str(DEPLOY / "compose.sh"), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def config() -> dict:
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


# -- compose ---------------------------------------------------------------------------


def test_compose_config_is_valid():
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_has_the_promised_services(config):
    services = set(config["services"])
    assert {"postgres", "redis", "rasa-1", "rasa-2", "actions-1", "actions-2", "proxy"} <= services


def test_only_the_proxy_publishes_a_port_and_only_https(config):
    published = {name: s["ports"] for name, s in config["services"].items() if s.get("ports")}
    assert set(published) == {"proxy"}
    assert [p["target"] for p in published["proxy"]] == [443]
    for service in config["services"].values():
        assert service.get("network_mode") != "host"


def test_every_long_running_service_has_a_healthcheck(config):
    for name, service in config["services"].items():
        one_shot = service.get("restart", "no") == "no"
        if one_shot:
            # a one-shot job must be awaited by what needs it, not health-checked
            dependants = [
                s
                for s in config["services"].values()
                if s.get("depends_on", {}).get(name, {}).get("condition") == "service_completed_successfully"
            ]
            assert dependants, f"{name} runs once but nothing waits for it"
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_backend_network_is_private(config):
    assert config["networks"]["backend"].get("internal") is True
    for name in ("postgres", "redis", "actions-1", "actions-2", "migrate"):
        assert set(config["services"][name]["networks"]) == {"backend"}, name
    assert set(config["services"]["proxy"]["networks"]) == {"edge"}


def test_rasa_replicas_keep_the_api_off_unless_a_token_is_given(config):
    for name in ("rasa-1", "rasa-2"):
        service = config["services"][name]
        command = " ".join((service.get("command") or []) + (service.get("entrypoint") or []))
        assert "--enable-api" not in command
        env = service["environment"]
        assert env["RASA_API"] == "off"
        assert env["ACTION_SERVER_URL"] == "http://actions:5055/webhook"
    for name in ("actions-1", "actions-2"):
        assert "actions" in config["services"][name]["networks"]["backend"]["aliases"]


@pytest.mark.parametrize("missing", REQUIRED_SECRETS)
def test_compose_refuses_to_run_without_a_required_setting(missing, tmp_path):
    lines = [
        line
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if not line.startswith(missing + "=")
    ]
    env_file = tmp_path / "env"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = compose("config", "-q", env_file=env_file)
    assert result.returncode != 0
    assert missing in result.stderr


def _env_values(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_no_literal_secrets_in_the_compose_file(raw_compose):
    blocks = [v for k, v in raw_compose.items() if k.startswith("x-") and isinstance(v, dict)]
    blocks += list(raw_compose["services"].values())
    checked = 0
    for block in blocks:
        for key, value in _env_values(block).items():
            if SECRET_KEY.search(key):
                assert value.startswith("${"), f"{key} is not taken from the environment"
                checked += 1
            if "://" in value and "@" in value:
                # a password inside a URL must be a reference as well
                assert re.search(r"://[^@]*:\$\{[A-Z_]+:\?[^}]*\}@", value), key
                checked += 1
    assert checked >= 10


def test_env_example_holds_placeholders_only():
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if SECRET_KEY.search(key):
            assert value == "" or "change-me" in value, key
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            # a real Telegram bot token: digits, colon, 35 characters
            assert not re.search(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b", text), path


def test_documented_variables_cover_the_compose_file(raw_compose):
    text = re.sub(r"#[^\n]*", "", COMPOSE_FILE.read_text(encoding="utf-8"))
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    documented = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert used <= documented, used - documented


# -- Rasa start script --------------------------------------------------------------------


def entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "RASA_ENTRYPOINT_DRY_RUN": "1", "ACTION_SERVER_TOKEN": GOOD_TOKEN}
    return subprocess.run([str(ENTRYPOINT)], env={**base, **env}, capture_output=True, text=True, timeout=30)


def test_entrypoint_without_api_by_default_and_on_loopback():
    result = entrypoint({"RASA_AUTH_TOKEN": GOOD_TOKEN})
    assert result.returncode == 0, result.stderr
    args = result.stdout.split()
    assert "--enable-api" not in args
    assert args[args.index("--interface") + 1] == "127.0.0.1"
    assert args[args.index("--credentials") + 1] == "deploy/credentials.yml"
    assert args[args.index("--endpoints") + 1] == "deploy/endpoints.yml"


def test_entrypoint_enables_the_api_only_with_a_token():
    refused = entrypoint({"RASA_API": "on"})
    assert refused.returncode != 0 and "RASA_AUTH_TOKEN" in refused.stderr
    short = entrypoint({"RASA_API": "on", "RASA_AUTH_TOKEN": "abc"})
    assert short.returncode != 0
    allowed = entrypoint({"RASA_API": "on", "RASA_AUTH_TOKEN": GOOD_TOKEN})
    assert allowed.returncode == 0, allowed.stderr
    args = allowed.stdout.split()
    assert "--enable-api" in args and args[args.index("--auth-token") + 1] == "***"
    assert GOOD_TOKEN not in allowed.stdout


@pytest.mark.parametrize("name", ["ACTION_SERVER_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD"])
def test_entrypoint_refuses_placeholder_secrets(name):
    result = entrypoint({name: "change-me-0123456789abcdef0123456789"})
    assert result.returncode != 0 and name in result.stderr


def test_entrypoint_requires_the_action_server_secret():
    result = entrypoint({"ACTION_SERVER_TOKEN": ""})
    assert result.returncode != 0 and "ACTION_SERVER_TOKEN" in result.stderr


# -- credentials, endpoints, nginx ------------------------------------------------------------


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def test_production_channels_are_telegram_only():
    production = _load(DEPLOY / "credentials.yml")
    development = _load(ROOT / "credentials.yml")
    assert "rest" not in production and "socketio" not in production
    telegram = [name for name in development if "telegram" in name.lower()]
    assert list(production) == telegram, "deploy/credentials.yml must name the same Telegram channel"


def test_production_endpoints():
    raw = (DEPLOY / "endpoints.yml").read_text(encoding="utf-8")
    endpoints = _load(DEPLOY / "endpoints.yml")
    action = endpoints["action_endpoint"]
    assert action["url"] == "${ACTION_SERVER_URL}"
    assert action["headers"] == {"Authorization": "Bearer ${ACTION_SERVER_TOKEN}"}
    assert "token" not in action  # would travel in the query string
    tracker = endpoints["tracker_store"]
    # the project's store: Rasa's SQL tables on PostgreSQL, plus erasure of history
    assert tracker["type"] == "akyikatchy.service.tracker_store.ConversationTrackerStore"
    assert tracker["dialect"] == "postgresql"
    lock = endpoints["lock_store"]
    assert lock["type"] == "redis"
    for section in (tracker, lock):
        for key in ("url", "port", "password"):
            assert str(section[key]).startswith("${"), key
    # Rasa expands only unquoted ${...}
    assert not re.search(r"""["']\$\{""", raw)
    assert endpoints["nlg"] == _load(ROOT / "endpoints.yml")["nlg"]


def _nginx_locations(text: str) -> dict[str, str]:
    """location pattern -> body, for the public (port 443) server."""
    text = re.sub(r"#[^\n]*", "", text)
    public = text[text.index("listen 443") :]
    public = public[: public.index("listen 127.0.0.1")]
    return dict(re.findall(r"location\s+([^{]+?)\s*\{((?:[^{}]|\{[^{}]*\})*)\}", public))


def test_nginx_forwards_only_the_webhook():
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    locations = _nginx_locations(text)
    proxied = [pattern for pattern, body in locations.items() if "proxy_pass" in body]
    assert proxied == [f"= {WEBHOOK}"]
    assert "limit_except POST" in locations[f"= {WEBHOOK}"]
    assert re.search(r"return\s+404", locations["/"])
    assert set(locations) == {f"= {WEBHOOK}", "/"}
    assert re.search(r"client_max_body_size\s+1m;", text)
    listens = re.findall(r"^\s*listen\s+([^;]+);", re.sub(r"#[^\n]*", "", text), re.M)
    assert sorted(listens) == ["127.0.0.1:8081", "443 ssl default_server"]
    upstream = re.search(r"upstream rasa \{(.*?)\}", text, re.S).group(1)
    assert re.findall(r"server\s+(\S+)", upstream) == ["rasa-1:5005", "rasa-2:5005"]


# -- Rasa with the production endpoints on the local PostgreSQL and Redis ------------------------


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def _psql(*args: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAX", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()


@pytest.fixture
def local_services():
    missing = [name for name, port in (("PostgreSQL", 5432), ("Redis", 6379)) if not _reachable(port)]
    if missing or not shutil.which("psql"):
        message = f"{', '.join(missing) or 'psql'} not available on 127.0.0.1"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    db = f"aky_deploy_{uuid.uuid4().hex[:10]}"
    _psql("-c", f"CREATE DATABASE {db}")
    try:
        yield db
    finally:
        _psql("-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_rasa_starts_with_the_production_endpoints(local_services, tmp_path):
    db = local_services
    port = free_port()
    redis_db = "13"
    env = {
        **os.environ,
        "RASA_BIN": str(BIN / "rasa"),
        "RASA_API": "on",
        "RASA_AUTH_TOKEN": GOOD_TOKEN,
        "RASA_PORT": str(port),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "ACTION_SERVER_TOKEN": GOOD_TOKEN,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_DB": db,
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_PASSWORD": "",
        "REDIS_LOCK_DB": redis_db,
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(ROOT),
    }
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
        "TELEGRAM_POLLING",
        "RASA_ENTRYPOINT_DRY_RUN",
    ):
        env.pop(name, None)
    log_path = tmp_path / "rasa.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ENTRYPOINT)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while _get_or_none(f"{base}/status?token={GOOD_TOKEN}") != 200:
                assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "Rasa did not start within 300 s"
                time.sleep(1)

            assert _get(f"{base}/status") == 401
            assert _get(f"{base}/status?token=wrong-{GOOD_TOKEN}") == 401
            assert _get(f"{base}/webhooks/rest/") == 404  # no REST channel
            assert _post(f"{base}/webhooks/rest/webhook", {"sender": "1", "message": "hi"}) == 404

            # An event appended through the API goes through the Redis lock store into the
            # PostgreSQL tracker store.
            sender = f"deploy-test-{uuid.uuid4().hex[:8]}"
            event = {"event": "slot", "name": "language", "value": "ru", "timestamp": time.time()}
            url = f"{base}/conversations/{sender}/tracker/events?token={GOOD_TOKEN}"
            assert _post(url, event) == 200
            rows = _psql("-c", f"SELECT count(*) FROM events WHERE sender_id = '{sender}'", db=db)
            assert int(rows) >= 1
            clients = (
                subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "CLIENT", "LIST"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                if shutil.which("redis-cli")
                else ""
            )
            if clients:
                assert re.search(rf"\bdb={redis_db}\b", clients), (
                    "Rasa never connected to the Redis lock store"
                )
        finally:
            stop(process)


def _get_or_none(url: str):
    try:
        return _get(url)
    except OSError:
        return None


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_helm_values_match_the_compose_configuration():
    rasa = _load(DEPLOY / "helm" / "values-rasa.yaml")
    actions = _load(DEPLOY / "helm" / "values-actions.yaml")
    endpoints = _load(DEPLOY / "endpoints.yml")
    settings = rasa["applicationSettings"]
    assert list(settings["credentials"]["additionalChannelCredentials"]) == list(
        _load(DEPLOY / "credentials.yml")
    )
    assert settings["endpoints"]["additionalEndpoints"]["action_endpoint"] == endpoints["action_endpoint"]
    assert settings["endpoints"]["additionalEndpoints"]["nlg"] == endpoints["nlg"]
    assert "--enable-api" not in rasa["args"] and settings["enableAPI"] is False
    assert rasa["ingress"]["path"] == WEBHOOK and rasa["ingress"]["pathType"] == "Exact"
    assert rasa["nginx"]["enabled"] is False
    assert actions["ingress"]["enabled"] is False
