# shellcheck shell=bash
# The Debian base of the guest image (tools/build-guest-image.sh): the
# guest's packages and the agent's dependencies, everything but
# trove-lite itself. Its hash keys the cached base. Sourced; expects log
# and die (tools/lib/services.sh) and `set -euo pipefail`.
#
# Packages go in through chroot, with /proc, /sys and /dev mounted in a
# mount namespace of its own: nothing stays mounted on the host.
#
# The paths and the user below are the layout the nova driver's user data
# expects (trove_lite/compute/nova/cloudinit.py).

GUEST_SUITE=bookworm
GUEST_VENV=/opt/trove-lite
GUEST_USER=trove-lite
GUEST_STATE_DIR=/var/lib/trove-lite
ROOT_LABEL=trove-root

# host_debian_mirror SUFFIX: the mirror this machine's apt uses whose
# path ends in SUFFIX ("debian" or "debian-security"), from its sources.
host_debian_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | tr -s '[:blank:]' '\n' \
        | grep -E "^https?://[^ ]+/$1/?\$" | head -n 1 | sed 's:/$::' || true
}

# in_root ROOTFS COMMAND...: run COMMAND chrooted into ROOTFS with /proc,
# /sys and /dev there; the mounts live in a private mount namespace, so
# they go away with the command, however the build ends.
in_root() {
    local rootfs=$1
    shift
    # shellcheck disable=SC2016  # expanded by the inner shell
    unshare --mount --propagation private -- /bin/sh -ec '
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        exec chroot "$root" "$@"' in_root "$rootfs" \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# guest_packages FILE: the package names of a list (comments dropped).
guest_packages() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"
}

# build_base ROOTFS PACKAGES REQUIREMENTS: Debian with the guest's
# packages and a virtualenv holding the agent's dependencies; everything
# but trove-lite itself.
build_base() {
    local rootfs=$1 packages=$2 requirements=$3
    local mirror security
    mirror=${TROVE_LITE_DEBIAN_MIRROR:-$(host_debian_mirror debian)}
    mirror=${mirror:-http://deb.debian.org/debian}
    security=${TROVE_LITE_DEBIAN_SECURITY_MIRROR:-$(host_debian_mirror debian-security)}
    security=${security:-http://deb.debian.org/debian-security}

    log "debootstrap $GUEST_SUITE from $mirror"
    debootstrap --variant=minbase "$GUEST_SUITE" "$rootfs" "$mirror" \
        >"$rootfs.debootstrap.log" 2>&1 \
        || die "debootstrap failed; see $rootfs.debootstrap.log"
    rm -f "$rootfs.debootstrap.log"

    cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $GUEST_SUITE main
deb $mirror $GUEST_SUITE-updates main
deb $security $GUEST_SUITE-security main
EOF
    # Documentation nobody reads on a database server.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-trove-lite-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    # Before the kernel's package, whose initramfs takes fsck for the
    # root filesystem from fstab.
    echo trove-lite-guest >"$rootfs/etc/hostname"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$rootfs/etc/hosts"
    printf 'LABEL=%s\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' \
        "$ROOT_LABEL" >"$rootfs/etc/fstab"
    # The locale cloud-init finds set needs no locales package.
    echo LANG=C.UTF-8 >"$rootfs/etc/default/locale"
    # The initramfs: no swap to resume from, so no waiting for one; the
    # root filesystem's type given (its device does not exist in the
    # build), so fsck for it goes in.
    mkdir -p "$rootfs/etc/initramfs-tools/conf.d"
    echo RESUME=none >"$rootfs/etc/initramfs-tools/conf.d/resume"
    echo FSTYPE=ext4 >"$rootfs/etc/initramfs-tools/conf.d/fstype"
    # Packages must not start their daemons inside the build.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"

    log "installing the guest's packages"
    in_root "$rootfs" apt-get update -q >/dev/null
    # shellcheck disable=SC2046  # one word per package
    in_root "$rootfs" apt-get install -y -q --no-install-recommends \
        $(guest_packages "$packages") >"$rootfs.apt.log" 2>&1 \
        || die "installing the guest's packages failed; see $rootfs.apt.log"
    rm -f "$rootfs.apt.log"

    configure_base "$rootfs"

    log "installing the agent's dependencies into $GUEST_VENV"
    in_root "$rootfs" python3 -m venv "$GUEST_VENV"
    # The wheels come through this machine's pip (its index, proxy and
    # certificates); the guest installs them offline, so they must be for
    # the guest's Python.
    local host_python guest_python
    host_python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    guest_python=$(in_root "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    [ "$host_python" = "$guest_python" ] \
        || die "python3 here is $host_python, the guest's is $guest_python: the agent's wheels would not fit"
    mkdir -p "$rootfs/tmp/wheels"
    python3 -m pip wheel -q --disable-pip-version-check -r "$requirements" \
        --wheel-dir "$rootfs/tmp/wheels" >"$rootfs.pip.log" 2>&1 \
        || die "fetching the agent's dependencies failed; see $rootfs.pip.log"
    rm -f "$rootfs.pip.log"
    cp "$requirements" "$rootfs/tmp/guest-requirements.txt"
    in_root "$rootfs" "$GUEST_VENV/bin/pip" install -q --no-cache-dir \
        --disable-pip-version-check --no-index --find-links /tmp/wheels \
        -r /tmp/guest-requirements.txt

    clean_rootfs "$rootfs"
}

# configure_base ROOTFS: boot, network, cloud-init, and the agent's user.
configure_base() {
    local rootfs=$1
    # cloud-init writes the NICs' stanzas into interfaces.d.
    printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' \
        >"$rootfs/etc/network/interfaces"

    cat >"$rootfs/etc/cloud/cloud.cfg.d/90-trove-lite.cfg" <<'EOF'
# The trove-lite guest: user data from a NoCloud seed (the qemu driver),
# a config drive or the metadata service (Nova).
datasource_list: [NoCloud, ConfigDrive, OpenStack, None]
# Host keys made at first boot: the fast kinds only.
ssh_genkeytypes: [ed25519, ecdsa]
locale: C.UTF-8
# A guest boots what its image holds; packages change with a new image.
package_update: false
package_upgrade: false
apt:
  preserve_sources_list: true
# The modules a trove-lite guest uses (the user data's write_files,
# disk_setup, mounts and runcmd; users and SSH keys), no others: each
# costs time at every boot and is code a guest need not run.
cloud_init_modules:
  - migrator
  - seed_random
  - bootcmd
  - write-files
  - growpart
  - resizefs
  - disk_setup
  - mounts
  - set_hostname
  - update_hostname
  - update_etc_hosts
  - ca-certs
  - users-groups
  - ssh
cloud_config_modules:
  - locale
  - set-passwords
  - timezone
  - runcmd
cloud_final_modules:
  - write-files-deferred
  - scripts-vendor
  - scripts-per-once
  - scripts-per-boot
  - scripts-per-instance
  - scripts-user
  - ssh-authkey-fingerprints
  - keys-to-console
  - final-message
EOF
    # The console (Nova's console log, the qemu driver's console.log)
    # shows the agent's log too.
    mkdir -p "$rootfs/etc/systemd/journald.conf.d"
    printf '[Journal]\nForwardToConsole=yes\nMaxLevelConsole=info\n' \
        >"$rootfs/etc/systemd/journald.conf.d/trove-lite-console.conf"

    # The agent runs its own mariadbd on the data volume.
    in_root "$rootfs" systemctl disable mariadb.service >/dev/null 2>&1
    in_root "$rootfs" useradd --system --home-dir "$GUEST_STATE_DIR" \
        --create-home --shell /usr/sbin/nologin "$GUEST_USER"
}

# clean_rootfs ROOTFS: what must not be in an image every server shares.
clean_rootfs() {
    local rootfs=$1
    in_root "$rootfs" apt-get clean
    # The packaged server's own datadir: the agent runs its own server.
    rm -rf "$rootfs"/var/lib/mysql/*
    # What debootstrap installed before the no-doc rule.
    find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 \
        ! -name locale.alias -exec rm -rf {} +
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/lib/cloud/* \
        "$rootfs"/etc/ssh/ssh_host_* "$rootfs"/var/log/*.log \
        "$rootfs"/tmp/* "$rootfs/usr/sbin/policy-rc.d"
    # Each server makes its own identity at first boot.
    : >"$rootfs/etc/machine-id"
    rm -f "$rootfs/var/lib/dbus/machine-id"
    : >"$rootfs/etc/resolv.conf"
}
