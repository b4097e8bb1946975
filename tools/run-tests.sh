#!/usr/bin/env bash
# Install what the tests need and run them all: ruff (pep8), unit tests
# (py3), functional tests against the real RabbitMQ and MariaDB, and the
# documentation and API reference builds (docs, api-ref).
#
#   tools/run-tests.sh                 every tox environment
#   tools/run-tests.sh -e py3          one of them (arguments go to tox)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/lib/services.sh
. "$ROOT/tools/lib/services.sh"

TOOLS=${TROVE_LITE_TOOLS_VENV:-$ROOT/.run/tools-venv}

ensure_packages
# The DevStack plugin's tests run shellcheck on its scripts.
command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
# reno (tox -e releasenotes) reads the release notes from git history.
command -v git >/dev/null 2>&1 || apt_install git
ensure_rabbitmq
ensure_mariadb
if [ ! -x "$TOOLS/bin/tox" ]; then
    log "installing tox into $TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q 'tox>=4.11' 2>&1 | grep -v '^WARNING: Location' || true
    [ -x "$TOOLS/bin/tox" ] || die "installing tox failed"
fi

cd "$ROOT"
if [ $# -eq 0 ]; then
    set -- -e pep8,py3,functional,docs,api-ref
fi
exec "$TOOLS/bin/tox" "$@"
