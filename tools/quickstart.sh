#!/usr/bin/env bash
# Bring trove-lite up on this machine and create a database instance.
#
#   tools/quickstart.sh          start everything (idempotent), create "demo"
#   tools/quickstart.sh stop     stop every process it started, guests too
#   tools/quickstart.sh status   show what runs
#
# State (config, logs, pid files, guests) lives in .run/quickstart/ or
# $TROVE_LITE_STATE. The API listens on http://127.0.0.1:8779.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/lib/services.sh
. "$ROOT/tools/lib/services.sh"

STATE=${TROVE_LITE_STATE:-$ROOT/.run/quickstart}
VENV=${TROVE_LITE_VENV:-$ROOT/.venv}
CONF=$STATE/trove-lite.conf
PIDS=$STATE/pids
LOGS=$STATE/log
PORT=${TROVE_LITE_PORT:-8779}
PROJECT=${OS_PROJECT_ID:-demo}
DB_NAME=${TROVE_LITE_DB_NAME:-trove_lite}
SERVICES="conductor taskmanager api"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
    [ -f "$CONF" ] && return
    log "writing $CONF"
    cat > "$CONF" <<EOF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/
bind_host = 127.0.0.1
bind_port = $PORT
default_datastore = mariadb
report_interval = 10
log_dir = $LOGS

[database]
connection = mysql+pymysql://root@127.0.0.1/$DB_NAME

[local_compute]
state_path = $STATE/compute
address_pools = 127.0.2.0/24
EOF
}

write_catalogue() {
    local number name
    number=$(/usr/sbin/mariadbd --version | sed -E 's/.*Ver ([0-9.]+).*/\1/')
    name=$(echo "$number" | cut -d. -f1-2)
    cat > "$STATE/catalogue.json" <<EOF
{"datastores": [
  {"name": "mariadb", "default_version": "$name",
   "versions": [{"name": "$name", "manager": "mariadb", "version_number": "$number"}]},
  {"name": "mysql", "default_version": "$name",
   "versions": [{"name": "$name", "manager": "mysql", "version_number": "$number"}]}],
 "flavors": [
  {"id": "1", "name": "tiny", "ram": 256, "vcpus": 1, "disk": 1},
  {"id": "2", "name": "small", "ram": 512, "vcpus": 1, "disk": 2},
  {"id": "3", "name": "medium", "ram": 1024, "vcpus": 2, "disk": 5},
  {"id": "4", "name": "large", "ram": 2048, "vcpus": 2, "disk": 10}]}
EOF
}

start_service() {
    local name=$1
    if pid_alive "$PIDS/$name.pid"; then
        return
    fi
    log "starting trove-lite-$name"
    setsid "$VENV/bin/trove-lite-$name" --config-file "$CONF" \
        >> "$LOGS/$name.out" 2>&1 < /dev/null &
    echo $! > "$PIDS/$name.pid"
}

wait_for_api() {
    for _ in $(seq 1 100); do
        if curl -sf "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then
            return
        fi
        pid_alive "$PIDS/api.pid" || die "the API exited; see $LOGS/api.out"
        sleep 0.2
    done
    die "the API did not answer; see $LOGS/api.out"
}

cli() {
    # noauth even when an openrc's OS_AUTH_URL is in the environment.
    "$VENV/bin/trove-lite" --os-auth-type none \
        --url "http://127.0.0.1:$PORT/v1.0/$PROJECT" "$@"
}

create_demo() {
    local password_file=$STATE/demo-password
    if [ ! -f "$password_file" ]; then
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '+/=' > "$password_file")
    fi
    local status
    status=$(cli instance show demo -f value -c status 2>/dev/null || true)
    if [ "$status" = "ERROR" ]; then
        log "the demo instance is in ERROR; recreating it"
        cli instance delete demo --wait >/dev/null
        status=""
    fi
    if [ -z "$status" ]; then
        log "creating the demo instance (trove-lite instance create demo --wait)"
        cli instance create demo --flavor small --size 1 --database demo \
            --user "demo:$(cat "$password_file")" --wait -f value -c id >/dev/null
    else
        cli instance show demo -f value -c id >/dev/null
    fi
    local address
    address=$(cli instance show demo -f value -c ip)
    for _ in $(seq 1 150); do
        status=$(cli instance show demo -f value -c operating_status)
        [ "$status" = "HEALTHY" ] && break
        sleep 0.2
    done
    cat <<EOF

trove-lite is running (API http://127.0.0.1:$PORT/v1.0/$PROJECT).

The demo instance is ready. Connect to it:

    mariadb -h $address -u demo -p$(cat "$password_file") demo

Drive the API with the CLI:

    export TROVE_LITE_URL=http://127.0.0.1:$PORT/v1.0/$PROJECT
    $VENV/bin/trove-lite instance list

Logs: $LOGS    Stop everything: tools/quickstart.sh stop
EOF
}

start() {
    ensure_packages
    ensure_rabbitmq
    ensure_mariadb
    ensure_venv "$VENV" "$ROOT"
    mkdir -p "$STATE" "$PIDS" "$LOGS"
    write_config
    write_catalogue
    mariadb -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`"
    "$VENV/bin/trove-lite-manage" --config-file "$CONF" db-sync >/dev/null
    "$VENV/bin/trove-lite-manage" --config-file "$CONF" catalogue-load \
        "$STATE/catalogue.json" >/dev/null
    for name in $SERVICES; do
        start_service "$name"
    done
    wait_for_api
    create_demo
}

stop_pid_file() {
    local file=$1
    [ -f "$file" ] || return 0
    local pid
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

stop() {
    for name in api taskmanager conductor; do
        stop_pid_file "$PIDS/$name.pid"
    done
    # Guests run in sessions of their own (like VMs, they outlive the
    # taskmanager); stop each one's process group.
    local record pid
    for record in "$STATE"/compute/servers/*/server.json; do
        [ -f "$record" ] || continue
        pid=$(sed -E 's/.*"pid": ?([0-9]+).*/\1/' "$record")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM -- "-$pid" 2>/dev/null || true
        fi
    done
    for record in "$STATE"/compute/servers/*/server.json; do
        [ -f "$record" ] || continue
        pid=$(sed -E 's/.*"pid": ?([0-9]+).*/\1/' "$record")
        for _ in $(seq 1 100); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    log "trove-lite stopped"
}

status() {
    for name in $SERVICES; do
        if pid_alive "$PIDS/$name.pid"; then
            echo "$name: running (pid $(cat "$PIDS/$name.pid"))"
        else
            echo "$name: stopped"
        fi
    done
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: $0 [start|stop|status]" ;;
esac
