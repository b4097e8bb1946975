# shellcheck shell=bash
# Shared by tools/quickstart.sh and tools/run-tests.sh: make sure what
# trove-lite needs on this machine is installed and running.
# Sourced; expects `set -euo pipefail` in the caller.

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    is_root || die "missing packages ($*); install them as root: apt-get install -y $*"
    log "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_packages() {
    local missing=()
    command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
    { [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null 2>&1 \
        && command -v mariadb >/dev/null 2>&1; } || missing+=(mariadb-server mariadb-client)
    # Guests back up and restore with mariabackup and mbstream.
    { command -v mariabackup >/dev/null 2>&1 && command -v mbstream >/dev/null 2>&1; } \
        || missing+=(mariadb-backup)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    # The local driver enforces each instance's allowed_cidrs with it.
    command -v nft >/dev/null 2>&1 || missing+=(nftables)
    # ... or with iptables where nftables cannot be used.
    command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# What the qemu compute driver runs: qemu, its disk tool, genisoimage
# for NoCloud seeds (isoinfo reads them back), socat for the broker
# forward.
ensure_vm_packages() {
    local missing=()
    command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
    command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
    { command -v genisoimage >/dev/null 2>&1 && command -v isoinfo >/dev/null 2>&1; } \
        || missing+=(genisoimage)
    command -v socat >/dev/null 2>&1 || missing+=(socat)
    if [ ${#missing[@]} -gt 0 ]; then
        # Without qemu's recommends: its GUI and firmware for other
        # machines.
        apt_install --no-install-recommends "${missing[@]}"
    fi
}

rabbit_up() { timeout 15 rabbitmqctl -q status >/dev/null 2>&1; }

ensure_rabbitmq() {
    if ! rabbit_up; then
        log "starting RabbitMQ"
        rabbitmq-server -detached >/dev/null 2>&1 || true
        for _ in $(seq 1 60); do
            if rabbit_up; then break; fi
            sleep 1
        done
        rabbit_up || die "RabbitMQ did not start; see /var/log/rabbitmq/"
    fi
    ensure_rabbitmq_management
}

# The taskmanager makes one broker user per instance through RabbitMQ's
# management HTTP API (port 15672).
rabbit_management_up() {
    curl -s -o /dev/null -u guest:guest http://127.0.0.1:15672/api/overview
}

ensure_rabbitmq_management() {
    if rabbit_management_up; then return; fi
    is_root || die "RabbitMQ's management plugin is off; enable it as root: rabbitmq-plugins enable rabbitmq_management"
    log "enabling RabbitMQ's management plugin"
    rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
    for _ in $(seq 1 60); do
        if rabbit_management_up; then return; fi
        sleep 1
    done
    die "RabbitMQ's management API did not come up on port 15672"
}

mariadb_tcp_login() { mariadb -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; }

ensure_mariadb() {
    if ! mariadb-admin -uroot ping >/dev/null 2>&1 && ! mariadb_tcp_login; then
        is_root || die "MariaDB is not running; start it as root (see README)"
        log "starting MariaDB"
        mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
        if [ ! -d /var/lib/mysql/mysql ]; then
            mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
        fi
        # --pidfile: guests run mariadbd too; only the system one counts.
        start-stop-daemon --start --oknodo --background \
            --pidfile /run/mysqld/mysqld.pid \
            --exec /usr/sbin/mariadbd -- --user=mysql
        for _ in $(seq 1 60); do
            if mariadb-admin -uroot ping >/dev/null 2>&1; then break; fi
            sleep 0.5
        done
        mariadb-admin -uroot ping >/dev/null 2>&1 || die "MariaDB did not start"
    fi
    if ! mariadb_tcp_login; then
        # A fresh Debian MariaDB lets root in only through the unix socket;
        # trove-lite connects over TCP as root without a password.
        log "allowing root TCP login to the local MariaDB"
        mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')" \
            || die "cannot log in to MariaDB as root over TCP"
    fi
}

# A virtualenv with trove-lite installed (editable), re-installed when the
# packaging files change.
ensure_venv() {
    local venv=$1 root=$2 extras=${3:-}
    if [ ! -x "$venv/bin/python" ]; then
        log "creating virtualenv $venv"
        python3 -m venv "$venv"
    fi
    local stamp="$venv/.trove-lite-installed"
    local digest
    digest=$( (cat "$root/setup.cfg" "$root/pyproject.toml"; echo "$extras") | sha1sum | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        log "installing trove-lite into $venv"
        "$venv/bin/pip" install -q --upgrade pip 2>/dev/null || true
        # With pipefail the condition is pip's status, not the filter's: a
        # failed install (an extra included) writes no stamp.
        if ! "$venv/bin/pip" install -q -e "$root$extras" 2>&1 \
                | { grep -v '^WARNING: Location' || true; }; then
            die "installing trove-lite failed"
        fi
        "$venv/bin/python" -c 'import trove_lite.cmd.api' || die "installing trove-lite failed"
        echo "$digest" > "$stamp"
    fi
}
