#!/usr/bin/env bash
# A real OpenStack Swift on loopback, for the storage driver's tests and
# benchmarks: proxy, account, container and object servers of PyPI's swift
# (versions pinned in tools/swift-constraints.txt, installed into a
# virtualenv of their own), a one-replica ring on a local directory, and a
# tempauth users.
#
#   tools/swift.sh start    install if needed, start the servers that are not
#                           running, wait until an authenticated request
#                           works, print the credentials
#   tools/swift.sh stop     stop every server (TERM, KILL after 10 s)
#   tools/swift.sh status   say which servers run; exit 0 when all do
#   tools/swift.sh env      print the credentials
#
# The credentials are shell assignments (SWIFT_AUTH_URL, SWIFT_USER and
# SWIFT_KEY: a reseller admin, which trove-lite acts as, keeping each
# project's objects in the project's own account; SWIFT_DEMO_USER and
# SWIFT_DEMO_KEY: the owner of project "demo"'s account AUTH_demo, as a
# tenant reads its own objects; SWIFT_DIR). Everything lives under $TROVE_LITE_SWIFT_DIR
# (default .run/swift): etc/ (configs, rings, credentials), data/d1 (the
# one device), run/ (pid files), log/. Ports are picked free on the first
# start and kept, so locations saved before a restart stay valid.
# Start-up measured on this machine kind (2 vCPU), from nothing running to
# the first authenticated request: 2.2 s idle, 4-9 s while other test runs
# load the machine; the first start also installs Swift (~10 s more).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TROVE_LITE_SWIFT_DIR:-$ROOT/.run/swift}
VENV=${TROVE_LITE_SWIFT_VENV:-$ROOT/.run/swift-venv}
IP=${TROVE_LITE_SWIFT_IP:-127.0.0.1}
CONSTRAINTS=$ROOT/tools/swift-constraints.txt
ETC=$DIR/etc
SERVERS=(account container object proxy)
START_TIMEOUT=60

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Swift reads swift.conf from a fixed /etc/swift path; the launcher points
# it at this deployment's own file before any Swift module reads it, so
# nothing outside $DIR is touched.
LAUNCHER='import sys, importlib
from swift.common import utils
utils.SWIFT_CONF_FILE = sys.argv.pop(1)
module = importlib.import_module(sys.argv.pop(1))
sys.exit(module.main())'

module_of() {
    case $1 in
        account) echo swift.account.server ;;
        container) echo swift.container.server ;;
        object) echo swift.obj.server ;;
        proxy) echo swift.proxy.server ;;
    esac
}

ensure_installed() {
    local stamp=$VENV/.trove-lite-installed digest
    digest=$(sha1sum "$CONSTRAINTS" | cut -d' ' -f1)
    mkdir -p "$(dirname "$VENV")"
    exec 8>"$VENV.lock"
    flock 8
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        log "installing Swift into $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q -c "$CONSTRAINTS" swift 2>&1 \
            | { grep -v '^WARNING: Location' || true; }
        "$VENV/bin/python" -c 'import swift.obj.server' 2>/dev/null \
            || die "installing Swift failed"
        echo "$digest" > "$stamp"
    fi
    exec 8>&-
}

swift_python() {
    PYTHONWARNINGS=ignore "$VENV/bin/python" "$@"
}

free_ports() {
    swift_python - "$IP" <<'EOF'
import socket, sys
probes = []
for _ in range(4):
    probe = socket.socket()
    probe.bind((sys.argv[1], 0))
    probes.append(probe)
print(' '.join(str(p.getsockname()[1]) for p in probes))
EOF
}

server_conf() {
    local server=$1 port=$2 app=$1
    [ "$server" = object ] && app=object
    cat > "$ETC/$server-server.conf" <<EOF
[DEFAULT]
bind_ip = $IP
bind_port = $port
workers = 0
user = $(id -un)
swift_dir = $ETC
devices = $DIR/data
mount_check = false
log_level = INFO

[pipeline:main]
pipeline = $server-server

[app:$server-server]
use = egg:swift#$app
EOF
}

proxy_conf() {
    local port=$1 key=$2 fernet=$3 demo_key=$4
    cat > "$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $IP
bind_port = $port
workers = 0
user = $(id -un)
swift_dir = $ETC
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats tempurl tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
conn_timeout = 2
node_timeout = 30

# Fernet tokens: tempauth needs no memcached with them.
[filter:tempauth]
use = egg:swift#tempauth
user_trove_admin = $key .admin .reseller_admin
user_demo_demo = $demo_key .admin
fernet_key_1 = $fernet
active_fernet_key_id = 1

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
# Guests read and write with temporary URLs (trove_lite.storage.grants).
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF
}

ring() {
    local kind=$1 port=$2 status=0
    local builder=$ETC/$kind.builder
    swift_python "$VENV/bin/swift-ring-builder" "$builder" create 6 1 1 \
        >/dev/null
    swift_python "$VENV/bin/swift-ring-builder" "$builder" add --region 1 \
        --zone 1 --ip "$IP" --port "$port" --device d1 --weight 100 \
        >/dev/null
    # Exit status 1 is a warning (one device cannot be balanced further).
    swift_python "$VENV/bin/swift-ring-builder" "$builder" rebalance \
        --format-version=2 >/dev/null || status=$?
    [ "$status" -le 1 ] || die "building the $kind ring failed"
}

configure() {
    # A deployment configured before temporary URLs and per-project
    # accounts is made again.
    [ -f "$ETC/credentials" ] && grep -q reseller_admin "$ETC/proxy-server.conf" \
        && return
    log "configuring Swift in $DIR"
    rm -rf "$ETC"
    mkdir -p "$ETC" "$DIR/data/d1" "$DIR/run" "$DIR/log"
    chmod 700 "$DIR"
    local ports key fernet demo_key
    read -r -a ports <<< "$(free_ports)"
    key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    demo_key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    fernet=$(swift_python -c \
        'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
    cat > "$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = $(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
swift_hash_path_prefix = $(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')

[storage-policy:0]
name = Policy-0
default = yes
EOF
    server_conf account "${ports[0]}"
    server_conf container "${ports[1]}"
    server_conf object "${ports[2]}"
    proxy_conf "${ports[3]}" "$key" "$fernet" "$demo_key"
    ring account "${ports[0]}"
    ring container "${ports[1]}"
    ring object "${ports[2]}"
    umask 077
    cat > "$ETC/credentials" <<EOF
SWIFT_AUTH_URL=http://$IP:${ports[3]}/auth/v1.0
SWIFT_USER=trove:admin
SWIFT_KEY=$key
SWIFT_DEMO_USER=demo:demo
SWIFT_DEMO_KEY=$demo_key
SWIFT_DIR=$DIR
EOF
}

# The pid of a running server of this deployment, or nothing.
running_pid() {
    local pidfile=$DIR/run/$1.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    # A recycled pid belongs to another program: check the command line.
    if [ -r "/proc/$pid/cmdline" ] \
            && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$ETC/$1-server.conf"; then
        echo "$pid"
    fi
}

port_of() {
    sed -n 's/^bind_port = //p' "$ETC/$1-server.conf"
}

port_busy() {
    (exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null
}

start_server() {
    local server=$1
    if [ -n "$(running_pid "$server")" ]; then return; fi
    local port
    port=$(port_of "$server")
    port_busy "$port" && die "port $IP:$port of the $server server is taken by another program"
    # Own stdin/stdout (callers capturing this script's output must not
    # wait for the servers to close it), and not the start lock.
    PYTHONWARNINGS=ignore nohup "$VENV/bin/python" -c "$LAUNCHER" \
        "$ETC/swift.conf" "$(module_of "$server")" \
        "$ETC/$server-server.conf" --verbose \
        </dev/null >>"$DIR/log/$server.log" 2>&1 9>&- &
    echo $! > "$DIR/run/$server.pid"
}

# Seconds since an $EPOCHREALTIME reading, to a tenth.
elapsed() {
    local now=${EPOCHREALTIME/./} then=${1/./}
    local tenths=$(( (now - then) / 100000 ))
    echo "$((tenths / 10)).$((tenths % 10))"
}

credentials() {
    cat "$ETC/credentials"
}

# One authenticated request through the proxy to the account server.
answers() {
    # shellcheck disable=SC1091
    . "$ETC/credentials"
    local headers token url
    headers=$(curl -s -m 5 -D - -o /dev/null -H "X-Auth-User: $SWIFT_USER" \
        -H "X-Auth-Key: $SWIFT_KEY" "$SWIFT_AUTH_URL") || return 1
    token=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
    url=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: //p')
    [ -n "$token" ] && [ -n "$url" ] || return 1
    case $(curl -s -m 5 -o /dev/null -w '%{http_code}' -I \
            -H "X-Auth-Token: $token" "$url") in
        2??) return 0 ;;
        *) return 1 ;;
    esac
}

start() {
    local began=$EPOCHREALTIME
    ensure_installed
    mkdir -p "$DIR"
    exec 9>"$DIR/.lock"
    flock 9
    configure
    for server in "${SERVERS[@]}"; do start_server "$server"; done
    local deadline=$((SECONDS + START_TIMEOUT))
    until answers; do
        for server in "${SERVERS[@]}"; do
            if [ -z "$(running_pid "$server")" ]; then
                stop
                die "the $server server exited; see $DIR/log/$server.log"
            fi
        done
        if [ $SECONDS -ge $deadline ]; then
            stop
            die "Swift did not answer within ${START_TIMEOUT} s; see $DIR/log/"
        fi
        sleep 0.1
    done
    log "Swift answers after $(elapsed "$began") s"
    credentials
}

stop() {
    [ -d "$DIR/run" ] || return 0
    local pids=() pid
    for server in "${SERVERS[@]}"; do
        pid=$(running_pid "$server")
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    local deadline=$((SECONDS + 10))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -f "$DIR"/run/*.pid
}

status() {
    local all=0 pid
    for server in "${SERVERS[@]}"; do
        pid=$(running_pid "$server")
        if [ -n "$pid" ]; then
            echo "$server: running (pid $pid)"
        else
            echo "$server: stopped"
            all=1
        fi
    done
    return $all
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) [ -f "$ETC/credentials" ] || die "Swift was never started here"; credentials ;;
    *) die "usage: $0 start|stop|status|env" ;;
esac
