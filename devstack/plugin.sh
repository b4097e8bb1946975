#!/bin/bash
#
# DevStack plugin of trove-lite: ``enable_plugin trove-lite <git url>``.
# DevStack sources devstack/settings, then this file with the mode and
# phase as arguments.
# shellcheck shell=bash

# shellcheck source-path=SCRIPTDIR source=lib/trove-lite
source "$TROVE_LITE_DIR/devstack/lib/trove-lite"

if is_trove_lite_enabled; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing trove-lite"
        install_trove_lite
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring trove-lite"
        configure_trove_lite
        if is_service_enabled key; then
            create_trove_lite_accounts
        fi
        init_trove_lite
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Registering trove-lite's flavors, datastore and image"
        register_trove_lite_catalogue
        echo_summary "Starting trove-lite"
        start_trove_lite
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        echo_summary "Configuring tempest for trove-lite"
        configure_tempest_for_trove_lite
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_trove_lite
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_trove_lite
    fi
fi
