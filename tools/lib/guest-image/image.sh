# shellcheck shell=bash
# The image of tools/build-guest-image.sh, made from a copy of the cached
# base (base.sh): trove-lite from its wheel, then a bootable disk. The
# disk is made without mounting anything: the root filesystem from a
# directory with mke2fs -d, the bootloader syslinux on a small FAT
# partition written with mtools, so no loop device is needed. Sourced
# after base.sh.

GUEST_TEMPLATE_DATADIR=$GUEST_STATE_DIR/template
BOOT_LABEL=TLBOOT
BOOT_PARTITION_MB=128
SYSLINUX_MBR=/usr/lib/syslinux/mbr/mbr.bin

# install_agent ROOTFS WHEEL: trove-lite from its wheel (the dependencies
# are in the base) and the template datadir its agent copies at prepare,
# made with the agent's own settings (InnoDB refuses a datadir made with
# other log settings).
install_agent() {
    local rootfs=$1 wheel=$2
    cp "$wheel" "$rootfs/tmp/"
    in_root "$rootfs" "$GUEST_VENV/bin/pip" install -q --no-cache-dir \
        --disable-pip-version-check --no-deps --no-index \
        "/tmp/$(basename "$wheel")"
    rm -f "$rootfs/tmp/$(basename "$wheel")"
    # Every module the agent loads, datastore managers included, imports
    # with only the guest's dependencies.
    in_root "$rootfs" "$GUEST_VENV/bin/python" -c '
import trove_lite.cmd.guestagent
from trove_lite.guestagent.datastore import registry
for name in registry.supported_managers():
    registry.manager_class(name)' \
        || die "the guest agent does not import with the guest's dependencies (tools/lib/guest-image/requirements.txt)"
    [ -x "$rootfs$GUEST_VENV/bin/trove-lite-guestagent" ] \
        || die "the wheel installed no trove-lite-guestagent"

    in_root "$rootfs" "$GUEST_VENV/bin/python" -c '
from trove_lite.datastore import mysql_config
settings = mysql_config.template_settings()
settings.pop("user", None)
print(mysql_config.render(settings), end="")' >"$rootfs/tmp/template.cnf"
    rm -rf "$rootfs$GUEST_TEMPLATE_DATADIR"
    in_root "$rootfs" mariadb-install-db --defaults-file=/tmp/template.cnf \
        --user="$GUEST_USER" --auth-root-authentication-method=normal \
        --skip-test-db --datadir="$GUEST_TEMPLATE_DATADIR" >/dev/null
    in_root "$rootfs" chown -R "$GUEST_USER:$GUEST_USER" "$GUEST_STATE_DIR"
    rm -f "$rootfs/tmp/template.cnf"
}

# make_disk ROOTFS IMAGE: a qcow2 that boots on its own under a BIOS
# (SeaBIOS: qemu, Nova's libvirt): an MBR, a FAT boot partition with
# syslinux, the kernel and the initramfs, and the root filesystem last,
# so cloud-init's growpart can grow it to the flavor's disk.
make_disk() {
    local rootfs=$1 image=$2
    local work kernel initrd root_mb boot_start boot_sectors root_start root_sectors
    work=$(dirname "$image")/disk.$$
    mkdir -p "$work"
    kernel=$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
    initrd=$(find "$rootfs/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
    if [ -z "$kernel" ] || [ -z "$initrd" ]; then
        die "no kernel or initramfs in $rootfs/boot"
    fi

    # The files plus room for the first boot's writes; growpart and
    # resize2fs then grow it to the server's disk.
    root_mb=$(( $(du -sm "$rootfs" | cut -f1) * 5 / 4 + 256 ))
    # shellcheck disable=SC2153  # ROOT_LABEL: base.sh, which fstab names
    mke2fs -q -t ext4 -L "$ROOT_LABEL" -d "$rootfs" "$work/root.img" \
        "${root_mb}M" >/dev/null

    boot_start=2048
    boot_sectors=$((BOOT_PARTITION_MB * 2048))
    root_start=$((boot_start + boot_sectors))
    root_sectors=$((root_mb * 2048))
    # -h: the partition's offset, which syslinux's boot sector adds to
    # the sectors it loads.
    mkfs.vfat -n "$BOOT_LABEL" -h "$boot_start" -C "$work/boot.img" \
        $((BOOT_PARTITION_MB * 1024)) >/dev/null
    cat >"$work/syslinux.cfg" <<EOF
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=$ROOT_LABEL ro console=tty0 console=ttyS0,115200n8
EOF
    mcopy -i "$work/boot.img" "$kernel" ::vmlinuz
    mcopy -i "$work/boot.img" "$initrd" ::initrd.img
    mcopy -i "$work/boot.img" "$work/syslinux.cfg" ::syslinux.cfg

    truncate -s $(((root_start + root_sectors) * 512)) "$work/disk.raw"
    sfdisk -q "$work/disk.raw" <<EOF
label: dos
start=$boot_start, size=$boot_sectors, type=c, bootable
start=$root_start, size=$root_sectors, type=83
EOF
    dd if="$work/boot.img" of="$work/disk.raw" bs=512 seek="$boot_start" \
        conv=notrunc,sparse status=none
    dd if="$work/root.img" of="$work/disk.raw" bs=1M \
        seek=$((root_start / 2048)) conv=notrunc,sparse status=none
    dd if="$SYSLINUX_MBR" of="$work/disk.raw" bs=440 count=1 conv=notrunc \
        status=none
    syslinux --offset $((boot_start * 512)) --install "$work/disk.raw"

    qemu-img convert -O qcow2 "$work/disk.raw" "$image"
    rm -rf "$work"
}
