#!/usr/bin/env bash
# Install what the tests need and run them all: ruff (pep8), unit tests
# (py3), functional tests against the real RabbitMQ and MariaDB, and the
# documentation and API reference builds (docs, api-ref).
#
#   tools/run-tests.sh                 every tox environment
#   tools/run-tests.sh -e py3          one of them (arguments go to tox)
#
# With the functional tests it also installs qemu and builds the guest
# image (tools/build-guest-image.sh: about 3 minutes the first time on a
# machine, about 30 s after a change to trove-lite, nothing when it is
# cached), so the VM test boots the image of this checkout.
# TROVE_LITE_SKIP_GUEST_IMAGE=1 skips that; the VM test then skips.
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
if [[ " $* " == *functional* ]] && [ "${TROVE_LITE_SKIP_GUEST_IMAGE:-}" != 1 ]; then
    if is_root; then
        ensure_vm_packages
        "$ROOT/tools/build-guest-image.sh"
    else
        log "not root: the guest image is not built, the VM test skips"
    fi
fi
exec "$TOOLS/bin/tox" "$@"
