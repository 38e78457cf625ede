#!/usr/bin/env bash
# Installs the Debian packages the tests and `make up` need, when they are missing.
set -euo pipefail

missing=()
command -v make >/dev/null || missing+=(make)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages may start system-wide servers; the tests start their own on free ports.
if command -v service >/dev/null; then
  service rabbitmq-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
fi
