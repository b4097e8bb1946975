# DevStack's functions as recorders, for sourcing the plugin without a
# cloud. Every call is appended to $CALLS as one line of shell-quoted
# words; a few answer the way DevStack or the openstack CLI would.
# shellcheck shell=bash

function record {
    local line
    printf -v line '%q ' "$@"
    echo "${line% }" >> "$CALLS"
}

function iniset { record iniset "$@"; }
function echo_summary { record echo_summary "$@"; }
function setup_develop { record setup_develop "$@"; }
function recreate_database { record recreate_database "$@"; }
function create_service_user { record create_service_user "$@"; }
function get_or_create_endpoint { record get_or_create_endpoint "$@"; echo endpoint-id; }
function run_process { record run_process "$@"; }
function stop_process { record stop_process "$@"; }
function write_uwsgi_config { record write_uwsgi_config "$@"; }
function remove_uwsgi_config { record remove_uwsgi_config "$@"; }
function rpc_backend_add_vhost { record rpc_backend_add_vhost "$@"; }

function get_or_create_service {
    record get_or_create_service "$@"
    echo service-id
}

function get_transport_url {
    echo "rabbit://stackrabbit:$RABBIT_PASSWORD@$SERVICE_HOST:5672/$1"
}

function database_connection_url {
    echo "mysql+pymysql://root:$DATABASE_PASSWORD@127.0.0.1/$1?charset=utf8"
}

# As DevStack's: the password middleware options of the service user.
function configure_keystone_authtoken_middleware {
    record configure_keystone_authtoken_middleware "$@"
    local section=${3:-keystone_authtoken}
    iniset "$1" "$section" auth_type password
    iniset "$1" "$section" interface public
    iniset "$1" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$1" "$section" username "$2"
    iniset "$1" "$section" password "$SERVICE_PASSWORD"
    iniset "$1" "$section" user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$1" "$section" project_name "$SERVICE_PROJECT_NAME"
    iniset "$1" "$section" project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$1" "$section" www_authenticate_uri "$KEYSTONE_SERVICE_URI"
}

# As DevStack's, except that services named in STUB_DISABLED_SERVICES
# stay off, as a local.conf "disable_service" would keep them.
function enable_service {
    record enable_service "$@"
    local service
    for service in "$@"; do
        if [[ ! ,${STUB_DISABLED_SERVICES:-}, =~ ,${service}, ]]; then
            ENABLED_SERVICES+=",$service"
        fi
    done
}

function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && return 0
    done
    return 1
}

function trueorfalse {
    case "${!2:-}" in
        1 | [yY]es | YES | [tT]rue | TRUE) echo True ;;
        0 | [nN]o | NO | [fF]alse | FALSE) echo False ;;
        *) echo "$1" ;;
    esac
}

function get_python_exec_prefix { echo "$STUB_BIN"; }

function which {
    echo "/usr/local/bin/$1"
}

function sudo {
    record sudo "$@"
    if [[ "$*" == "rabbitmqctl list_users" ]]; then
        printf 'user\ttags\n'
        printf '%b' "${RABBIT_USERS:-}"
    fi
}

function openstack {
    record openstack "$@"
    case "$*" in
        *"network show"*) echo net-mgmt-id ;;
        *"flavor list"*)
            echo "1 m1.tiny 512 1 1"
            echo "42 m1.nano 128 1 0" ;;
        *"image create"*) echo image-id-1 ;;
    esac
}

function curl {
    record curl "$@"
    local previous=""
    local argument
    for argument in "$@"; do
        if [[ "$previous" == "-o" ]]; then
            touch "$argument"
        fi
        previous=$argument
    done
}

