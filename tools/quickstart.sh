#!/usr/bin/env bash
# Bring trove-lite up on this machine and create a database instance.
#
#   tools/quickstart.sh          start everything (idempotent), create "demo"
#   tools/quickstart.sh stop     stop every process it started, guests too
#   tools/quickstart.sh status   show what runs
#
# The API listens on http://127.0.0.1:8779 without authentication (noauth).
# With TROVE_LITE_AUTH=keystone and a cloud admin's OS_* variables it runs
# behind that Keystone instead: it registers a service user, the service
# "trove" (type "database") and its endpoints there (see
# tools/lib/keystone_registration.py), and the demo instance belongs to the
# admin's project.
#
# Where things go (defaults in brackets), for running a second one:
#   TROVE_LITE_STATE         config, logs, pid files, guests [.run/quickstart]
#   TROVE_LITE_COMPUTE_STATE the local guests' servers and volumes
#                            [$TROVE_LITE_STATE/compute, or under
#                            /var/lib/trove-lite when guests cannot pass
#                            through the checkout's directories]
#   TROVE_LITE_PORT          API port [8779]
#   TROVE_LITE_DB_NAME       control-plane database [trove_lite]
#   TROVE_LITE_RABBIT_VHOST  RabbitMQ vhost, created if missing [/]
#   TROVE_LITE_ADDRESS_POOL  guests' loopback addresses [127.0.2.0/24]
#   TROVE_LITE_VENV          a virtualenv with trove-lite installed, used as
#                            it is [.venv, created and kept up to date]
# These are written into the config when the state directory is new.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/lib/services.sh
. "$ROOT/tools/lib/services.sh"

STATE=${TROVE_LITE_STATE:-$ROOT/.run/quickstart}
VENV=${TROVE_LITE_VENV:-$ROOT/.venv}
CONF=$STATE/trove-lite.conf
# [keystone_authtoken] with the service password: the API's second config
# file in Keystone mode, readable by its owner only.
KEYSTONE_CONF=$STATE/trove-lite-keystone.conf
PIDS=$STATE/pids
LOGS=$STATE/log
PORT=${TROVE_LITE_PORT:-8779}
PROJECT=${OS_PROJECT_ID:-demo}
DB_NAME=${TROVE_LITE_DB_NAME:-trove_lite}
VHOST=${TROVE_LITE_RABBIT_VHOST:-}
ADDRESS_POOL=${TROVE_LITE_ADDRESS_POOL:-127.0.2.0/24}
AUTH=${TROVE_LITE_AUTH:-noauth}
SERVICES="conductor taskmanager api"

case "$AUTH" in
    noauth|keystone) ;;
    *) die "TROVE_LITE_AUTH must be keystone or noauth, not '$AUTH'" ;;
esac

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Run as root, each local guest is a unix user of its own, which must pass
# through every directory above its sandbox; a checkout under /root (0700)
# does not let it, so the guests' state then lives under /var/lib.
compute_state_path() {
    local dir=$STATE
    if is_root; then
        while [ "$dir" != / ]; do
            if [ -e "$dir" ] && [ $(( 0$(stat -c %a "$dir") & 1 )) -eq 0 ]; then
                echo "/var/lib/trove-lite/quickstart-$(printf %s "$STATE" | sha1sum | cut -c1-12)"
                return
            fi
            dir=$(dirname "$dir")
        done
    fi
    echo "$STATE/compute"
}
COMPUTE=${TROVE_LITE_COMPUTE_STATE:-$(compute_state_path)}

write_config() {
    [ -f "$CONF" ] && return
    log "writing $CONF"
    cat > "$CONF" <<EOF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/$VHOST
bind_host = 127.0.0.1
bind_port = $PORT
default_datastore = mariadb
report_interval = 10
log_dir = $LOGS

[database]
connection = mysql+pymysql://root@127.0.0.1/$DB_NAME

[local_compute]
state_path = $COMPUTE
address_pools = $ADDRESS_POOL
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

# start_service NAME [ARGS...]: trove-lite-NAME in a session of its own,
# unless it runs.
start_service() {
    local name=$1
    shift
    if pid_alive "$PIDS/$name.pid"; then
        return
    fi
    log "starting trove-lite-$name"
    setsid "$VENV/bin/trove-lite-$name" --config-file "$CONF" "$@" \
        >> "$LOGS/$name.out" 2>&1 < /dev/null &
    echo $! > "$PIDS/$name.pid"
}

# How the API authenticates: "noauth", or "keystone" and a digest of its
# [keystone_authtoken] file (a new password or Keystone needs a restart).
api_auth() {
    if [ "$AUTH" = keystone ]; then
        echo "keystone $(sha1sum < "$KEYSTONE_CONF" | cut -d' ' -f1)"
    else
        echo noauth
    fi
}

# How the running API authenticates (noauth when it was started before
# this was recorded).
api_running_auth() {
    cat "$PIDS/api.auth" 2>/dev/null || echo noauth
}

# The API, restarted if it runs with another authentication.
start_api() {
    local wanted
    wanted=$(api_auth)
    if pid_alive "$PIDS/api.pid" && [ "$(api_running_auth)" != "$wanted" ]; then
        log "restarting trove-lite-api (auth_strategy ${wanted%% *})"
        stop_pid_file "$PIDS/api.pid"
    fi
    if [ "$AUTH" = keystone ]; then
        start_service api --config-file "$KEYSTONE_CONF"
    else
        start_service api
    fi
    echo "$wanted" > "$PIDS/api.auth"
}

ensure_vhost() {
    [ -n "$VHOST" ] || return 0
    local vhosts attempt
    # rabbitmqctl fails now and then on a busy machine (its Erlang call
    # times out): that says nothing about the vhost, so ask again.
    for attempt in 1 2 3 4 5; do
        vhosts=$(timeout 30 rabbitmqctl -q list_vhosts name 2>/dev/null) && break
        [ "$attempt" -lt 5 ] || die "cannot list the RabbitMQ vhosts"
        sleep 2
    done
    if ! grep -qxF "$VHOST" <<<"$vhosts"; then
        log "creating the RabbitMQ vhost $VHOST"
        rabbitmqctl -q add_vhost "$VHOST"
        rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*'
    fi
}

# Registers trove-lite in the Keystone of the admin's OS_* variables and
# writes $KEYSTONE_CONF; the demo instance goes to the admin's project.
register_in_keystone() {
    [ -n "${OS_AUTH_URL:-}" ] || die "TROVE_LITE_AUTH=keystone needs the \
Keystone admin's OS_* variables (source the admin openrc first)"
    log "registering trove-lite in Keystone ($OS_AUTH_URL)"
    PROJECT=$("$VENV/bin/python" "$ROOT/tools/lib/keystone_registration.py" \
        --endpoint "http://127.0.0.1:$PORT/v1.0/\$(project_id)s" \
        --config "$KEYSTONE_CONF" --password-file "$STATE/service-password") \
        || die "registering trove-lite in Keystone failed"
}

die_if_a_service_exited() {
    local name
    for name in $SERVICES; do
        pid_alive "$PIDS/$name.pid" || die "trove-lite-$name exited; see $LOGS/$name.out and $LOGS/trove-lite-$name.log"
    done
}

wait_for_api() {
    for _ in $(seq 1 100); do
        if curl -sf "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then
            return
        fi
        die_if_a_service_exited
        sleep 0.2
    done
    die "the API did not answer; see $LOGS/api.out"
}

wait_for_services() {
    # A create sent before the taskmanager has declared its queue would be
    # refused (503): wait until it and the conductor serve (registered up).
    local listed
    for _ in $(seq 1 300); do
        listed=$("$VENV/bin/trove-lite-manage" --config-file "$CONF" \
            service list 2>/dev/null || true)
        if grep -q 'trove-lite-taskmanager.*| up ' <<<"$listed" &&
                grep -q 'trove-lite-conductor.*| up ' <<<"$listed"; then
            return
        fi
        die_if_a_service_exited
        sleep 0.2
    done
    die "the taskmanager and the conductor did not register; see $LOGS"
}

cli() {
    if [ "$AUTH" = keystone ]; then
        # A token for the admin's project, from the OS_* variables.
        "$VENV/bin/trove-lite" --url "http://127.0.0.1:$PORT" "$@"
    else
        # noauth even when an openrc's OS_AUTH_URL is in the environment.
        "$VENV/bin/trove-lite" --os-auth-type none \
            --url "http://127.0.0.1:$PORT/v1.0/$PROJECT" "$@"
    fi
}

create_demo() {
    # The demo password stays in files (mode 0600), never on a command
    # line, where ps shows it to every local user.
    local password_file=$STATE/demo-password
    if [ ! -f "$password_file" ]; then
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '+/=' > "$password_file")
    fi
    local client_file=$STATE/demo-client.cnf
    (umask 077 && printf '[client]\nuser=demo\npassword=%s\n' \
        "$(cat "$password_file")" > "$client_file")
    local status attempt health=""
    status=$(cli instance show demo -f value -c status 2>/dev/null || true)
    # One retry: an instance left from an earlier start (of this or another
    # checkout) may turn out broken only once the taskmanager looks at it, or
    # be ACTIVE in the database with no guest answering behind it.
    for attempt in 1 2; do
        if [ "$status" = "ERROR" ] || [ "$status" = "UNHEALTHY" ]; then
            log "the demo instance is broken ($status); recreating it"
            cli instance delete demo --wait >/dev/null
            status=""
        fi
        if [ -z "$status" ]; then
            log "creating the demo instance (trove-lite instance create demo --wait)"
            cli instance create demo --flavor small --size 1 --database demo \
                --user demo --user-password-file "$password_file" \
                --wait -f value -c id >/dev/null || true
        fi
        for _ in $(seq 1 600); do
            status=$(cli instance show demo -f value -c status)
            case "$status" in ACTIVE|ERROR) break ;; esac
            sleep 0.5
        done
        [ "$status" = ACTIVE ] || continue
        # Up to 30 s for its datastore to turn healthy; a guest that
        # stopped reporting shows ERROR (or SHUTDOWN, FAILED) at once.
        local deadline=$((SECONDS + 30))
        while [ "$SECONDS" -lt "$deadline" ]; do
            health=$(cli instance show demo -f value -c operating_status)
            case "$health" in HEALTHY|ERROR|SHUTDOWN|FAILED) break ;; esac
            sleep 0.2
        done
        [ "$health" = HEALTHY ] && break
        status=UNHEALTHY
    done
    [ "$health" = HEALTHY ] || die "the demo instance is $status (attempt $attempt); see $LOGS"
    local address
    address=$(cli instance show demo -f value -c ip)
    if [ "$AUTH" = keystone ]; then
        cat <<EOF

trove-lite is running behind Keystone $OS_AUTH_URL: service "trove"
(type database) in region ${OS_REGION_NAME:-RegionOne}, API
http://127.0.0.1:$PORT/v1.0/<project id>.

The demo instance (project $PROJECT) is ready. Connect to it:

    mariadb --defaults-extra-file=$client_file -h $address demo

Any project's openrc works with the usual clients:

    openstack database instance list
    $VENV/bin/trove-lite instance list
EOF
    else
        cat <<EOF

trove-lite is running (API http://127.0.0.1:$PORT/v1.0/$PROJECT).

The demo instance is ready. Connect to it:

    mariadb --defaults-extra-file=$client_file -h $address demo

Drive the API with the CLI:

    export TROVE_LITE_URL=http://127.0.0.1:$PORT/v1.0/$PROJECT
    $VENV/bin/trove-lite instance list
EOF
    fi
    printf '\nLogs: %s    Stop everything: tools/quickstart.sh stop\n' "$LOGS"
}

start() {
    ensure_packages
    ensure_rabbitmq
    ensure_mariadb
    if [ -n "${TROVE_LITE_VENV:-}" ]; then
        [ -x "$VENV/bin/trove-lite-api" ] \
            || die "TROVE_LITE_VENV=$VENV has no trove-lite installed"
    else
        ensure_venv "$VENV" "$ROOT" '[clients]'
    fi
    mkdir -p "$STATE" "$PIDS" "$LOGS"
    if [ "$AUTH" = keystone ]; then
        register_in_keystone
    fi
    ensure_vhost
    write_config
    write_catalogue
    mariadb -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`"
    "$VENV/bin/trove-lite-manage" --config-file "$CONF" db-sync >/dev/null
    "$VENV/bin/trove-lite-manage" --config-file "$CONF" catalogue-load \
        "$STATE/catalogue.json" >/dev/null
    start_service conductor
    start_service taskmanager
    start_api
    wait_for_api
    wait_for_services
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

guest_pids() {
    # Processes working under the local driver's sandboxes and volumes.
    local proc cwd
    for proc in /proc/[0-9]*; do
        cwd=$(readlink "$proc/cwd" 2>/dev/null) || continue
        case "${cwd% (deleted)}" in
            "$COMPUTE"/servers/*|"$COMPUTE"/volumes/*)
                echo "${proc#/proc/}" ;;
        esac
    done
}

stop() {
    for name in api taskmanager conductor; do
        stop_pid_file "$PIDS/$name.pid"
    done
    rm -f "$PIDS/api.auth"
    # Guests run in sessions of their own (like VMs, they outlive the
    # taskmanager); stop each one's process group, and every process still
    # working in a sandbox or volume (a guest whose pid was never recorded,
    # or whose record is gone).
    local record pid
    for record in "$COMPUTE"/servers/*/server.json; do
        [ -f "$record" ] || continue
        pid=$(sed -E 's/.*"pid": ?([0-9]+).*/\1/' "$record")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM -- "-$pid" 2>/dev/null || true
        fi
    done
    for pid in $(guest_pids); do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        [ -z "$(guest_pids)" ] && break
        sleep 0.1
    done
    for record in "$COMPUTE"/servers/*/server.json; do
        [ -f "$record" ] || continue
        pid=$(sed -E 's/.*"pid": ?([0-9]+).*/\1/' "$record")
        [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done
    for pid in $(guest_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    log "trove-lite stopped"
}

status() {
    for name in $SERVICES; do
        if [ "$name" = api ] && pid_alive "$PIDS/api.pid"; then
            echo "api: running (pid $(cat "$PIDS/api.pid"), $(api_running_auth | cut -d' ' -f1))"
        elif pid_alive "$PIDS/$name.pid"; then
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
