#!/bin/sh
# Starts Rasa with the PRODUCTION configuration: the Telegram channel only
# (deploy/credentials.yml), tracker store on PostgreSQL and lock store on Redis
# (deploy/endpoints.yml, settings from the environment).
#
# Used by the container (deploy/Dockerfile.rasa) and by `make server-production`.
#
#   RASA_API=off (default)  no HTTP API at all: only / (health) and the Telegram webhook.
#   RASA_API=on             the HTTP API too, protected by --auth-token "$RASA_AUTH_TOKEN";
#                           refuses to start when RASA_AUTH_TOKEN is unset, short or a placeholder.
#   RASA_HOST               interface to bind, default 127.0.0.1 (the container sets 0.0.0.0:
#                           only its private compose network reaches it)
#   RASA_PORT               default 5005
#   RASA_MODEL              default models/akyikatchy.tar.gz
#   RASA_BIN                default rasa (the Makefile passes .venv/bin/rasa)
#   RASA_ENTRYPOINT_DRY_RUN=1  print the command (token masked) instead of running it
# Extra arguments are passed to `rasa run`.
set -eu
cd "$(dirname "$0")/.."

die() { echo "rasa-entrypoint: $*" >&2; exit 64; }

# Refuse the placeholders of deploy/.env.example and obviously weak secrets.
check_secret() { # name value min_length
  case "$2" in
    "") die "$1 is not set" ;;
    *change-me*|*CHANGE-ME*|*changeme*|*CHANGE_ME*) die "$1 still holds the placeholder of deploy/.env.example" ;;
  esac
  [ "${#2}" -ge "$3" ] || die "$1 is shorter than $3 characters"
}

check_secret ACTION_SERVER_TOKEN "${ACTION_SERVER_TOKEN:-}" 24
for name in TELEGRAM_SECRET_TOKEN POSTGRES_PASSWORD REDIS_PASSWORD; do
  eval "value=\${$name:-}"
  # Optional here (a laptop's PostgreSQL or Redis may have no password), but never a placeholder.
  case "$value" in *change-me*|*CHANGE-ME*|*changeme*|*CHANGE_ME*) die "$name still holds the placeholder of deploy/.env.example" ;; esac
done

set -- "${RASA_BIN:-rasa}" run \
  --model "${RASA_MODEL:-models/akyikatchy.tar.gz}" \
  --credentials deploy/credentials.yml \
  --endpoints deploy/endpoints.yml \
  --interface "${RASA_HOST:-127.0.0.1}" \
  --port "${RASA_PORT:-5005}" \
  "$@"

case "${RASA_API:-off}" in
  on)
    check_secret RASA_AUTH_TOKEN "${RASA_AUTH_TOKEN:-}" 24
    set -- "$@" --enable-api --auth-token "$RASA_AUTH_TOKEN"
    ;;
  off) ;;
  *) die "RASA_API must be 'on' or 'off', not '${RASA_API}'" ;;
esac

if [ "${RASA_ENTRYPOINT_DRY_RUN:-}" = 1 ]; then
  for arg in "$@"; do
    if [ -n "${RASA_AUTH_TOKEN:-}" ] && [ "$arg" = "$RASA_AUTH_TOKEN" ]; then arg='***'; fi
    printf '%s\n' "$arg"
  done
  exit 0
fi
exec "$@"
