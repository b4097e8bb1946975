#!/usr/bin/env bash
# Build the trove-lite guest image: a qcow2 that boots on its own (Nova,
# or the qemu compute driver), made from Debian's packages only, with the
# guest agent installed from a wheel of this checkout.
#
#   tools/build-guest-image.sh                  build the image, or find it
#                                               in the cache
#   tools/build-guest-image.sh --output PATH    and copy it to PATH
#                              [--compress]     compressed (a third of the
#                                               size, for uploading)
#   tools/build-guest-image.sh --print-path     print the image of this
#                                               checkout; exit 1 if it is
#                                               not built
#
# Images are cached by content hash in $TROVE_LITE_IMAGE_CACHE (default
# /var/cache/trove-lite/images), outside the checkout, so every checkout
# and CI on this machine find them:
#   base-<hash>/rootfs             Debian, the guest's packages and the
#                                  agent's dependencies (hash of base.sh
#                                  and the package lists)
#   trove-lite-guest-<hash>.qcow2  the image (hash of the base's, this
#                                  script, image.sh and trove-lite's
#                                  source: the wheel's files)
# A change to trove-lite rebuilds only the image from the cached base.
# Entries unused for a week are removed. Needs root (debootstrap, chroot).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tools/lib/guest-image
# shellcheck source=tools/lib/services.sh
. "$ROOT/tools/lib/services.sh"
# shellcheck source=tools/lib/guest-image/base.sh
. "$HERE/base.sh"
# shellcheck source=tools/lib/guest-image/image.sh
. "$HERE/image.sh"

CACHE_DIR=${TROVE_LITE_IMAGE_CACHE:-/var/cache/trove-lite/images}
OUTPUT=
COMPRESS=false
PRINT_PATH=false

while [ $# -gt 0 ]; do
    case $1 in
        --output) OUTPUT=${2:?--output needs a path}; shift 2 ;;
        --output=*) OUTPUT=${1#--output=}; shift ;;
        --compress) COMPRESS=true; shift ;;
        --print-path) PRINT_PATH=true; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

# The files the wheel is built from: trove-lite's source as it is in the
# work tree (uncommitted changes included), without build leftovers.
source_files() {
    local paths=(trove_lite migrations setup.cfg pyproject.toml README.md)
    if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$ROOT" ls-files --cached --others --exclude-standard -- \
            "${paths[@]}"
    else
        (cd "$ROOT" && find "${paths[@]}" -type f ! -name '*.pyc')
    fi | LC_ALL=C sort -u | while read -r file; do
        if [ -f "$ROOT/$file" ]; then echo "$file"; fi
    done
}

BASE_KEY=$(cat "$HERE/base.sh" "$HERE/packages.txt" "$HERE/requirements.txt" \
    | sha256sum | cut -c1-16)
IMAGE_KEY=$( (echo "$BASE_KEY"; cat "$0" "$HERE/image.sh"; cd "$ROOT" && source_files \
    | while read -r file; do printf '%s ' "$file"; sha256sum <"$file"; done) \
    | sha256sum | cut -c1-16)
BASE_DIR=$CACHE_DIR/base-$BASE_KEY
IMAGE=$CACHE_DIR/trove-lite-guest-$IMAGE_KEY.qcow2

if $PRINT_PATH; then
    [ -f "$IMAGE" ] || exit 1
    echo "$IMAGE"
    exit 0
fi

is_root || die "building the guest image needs root (debootstrap, chroot)"

ensure_build_tools() {
    local missing=()
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
    command -v mkfs.vfat >/dev/null 2>&1 || missing+=(dosfstools)
    command -v mcopy >/dev/null 2>&1 || missing+=(mtools)
    command -v syslinux >/dev/null 2>&1 || missing+=(syslinux)
    [ -f "$SYSLINUX_MBR" ] || missing+=(syslinux-common)
    command -v sfdisk >/dev/null 2>&1 || missing+=(fdisk)
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    python3 -m pip --version >/dev/null 2>&1 \
        || die "python3 -m pip is needed to build trove-lite's wheel"
}

# build_wheel DIR: trove-lite's wheel, built from a copy of exactly the
# hashed files (the work tree gets no build/ or egg-info); its path.
build_wheel() {
    local dir=$1
    mkdir -p "$dir/src" "$dir/wheel"
    (cd "$ROOT" && source_files | tar -cf - -T -) | tar -C "$dir/src" -xf -
    python3 -m pip wheel -q --disable-pip-version-check --no-deps \
        --wheel-dir "$dir/wheel" "$dir/src" >"$dir/wheel.log" 2>&1 \
        || die "building trove-lite's wheel failed: $(tail -n 20 "$dir/wheel.log")"
    find "$dir/wheel" -name 'trove_lite-*.whl' | head -n 1
}

report() {
    local how=$1 actual virtual
    actual=$(du -m "$IMAGE" | cut -f1)
    virtual=$(qemu-img info --output=json "$IMAGE" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"] >> 20)')
    log "guest image: $IMAGE"
    log "  $how; ${actual} MiB on disk, ${virtual} MiB virtual size"
}

ensure_build_tools
# A build takes both cores for minutes; the machine is shared.
renice -n 10 -p $$ >/dev/null
mkdir -p "$CACHE_DIR"
# One build at a time on this machine: checkouts share the cache.
exec 9>"$CACHE_DIR/build.lock"
flock 9

if [ -f "$IMAGE" ]; then
    touch "$IMAGE" "$BASE_DIR" 2>/dev/null || true
    report "up to date (hash $IMAGE_KEY), nothing built"
else
    WORK=$(mktemp -d "$CACHE_DIR/work.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    started=$SECONDS
    base_seconds=0
    if [ ! -f "$BASE_DIR/done" ]; then
        log "building the base (hash $BASE_KEY); a few minutes"
        rm -rf "$BASE_DIR"
        mkdir -p "$BASE_DIR"
        build_base "$BASE_DIR/rootfs" "$HERE/packages.txt" "$HERE/requirements.txt"
        touch "$BASE_DIR/done"
        base_seconds=$((SECONDS - started))
    fi
    touch "$BASE_DIR"
    log "building the image (hash $IMAGE_KEY)"
    wheel=$(build_wheel "$WORK")
    cp -a --reflink=auto "$BASE_DIR/rootfs" "$WORK/rootfs"
    install_agent "$WORK/rootfs" "$wheel"
    make_disk "$WORK/rootfs" "$WORK/image.qcow2"
    mv "$WORK/image.qcow2" "$IMAGE"
    report "built in $((SECONDS - started)) s (base ${base_seconds} s, image $((SECONDS - started - base_seconds)) s)"
    # Images and bases nobody used for a week.
    find "$CACHE_DIR" -maxdepth 1 -name 'trove-lite-guest-*.qcow2' -mtime +7 -delete
    find "$CACHE_DIR" -maxdepth 1 -name 'base-*' -type d -mtime +7 \
        -exec rm -rf {} +
fi

# The cache keeps images uncompressed: servers read them faster.
if [ -n "$OUTPUT" ] && $COMPRESS; then
    qemu-img convert -c -O qcow2 "$IMAGE" "$OUTPUT"
    log "compressed to $OUTPUT ($(du -m "$OUTPUT" | cut -f1) MiB)"
elif [ -n "$OUTPUT" ]; then
    cp --reflink=auto "$IMAGE" "$OUTPUT"
    log "copied to $OUTPUT"
fi
