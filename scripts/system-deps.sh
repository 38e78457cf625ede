#!/usr/bin/env bash
# Installs the Debian packages the tests and `make up` need, when they are missing.
set -euo pipefail

missing=()
command -v make >/dev/null || missing+=(make)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)
# A real Prometheus (and promtool) scrapes `firebreak run` in tests/integration/test_prometheus_scrape.py.
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
# WeasyPrint (postmortem PDFs) loads Pango through ctypes.
libs=$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null) || true)
grep -q 'libpango-1.0.so.0' <<<"$libs" || missing+=(libpango-1.0-0)
grep -q 'libpangoft2-1.0.so.0' <<<"$libs" || missing+=(libpangoft2-1.0-0)
grep -q 'libharfbuzz-subset.so.0' <<<"$libs" || missing+=(libharfbuzz-subset0)

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
  service prometheus stop >/dev/null 2>&1 || true
  service prometheus-node-exporter stop >/dev/null 2>&1 || true
fi
