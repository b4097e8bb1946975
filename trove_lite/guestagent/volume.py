"""The guest's data volume: how much of it is used.

A Nova guest's volume is a filesystem of its own, measured with statvfs.
A local-driver guest's "volume" is a directory on the host's filesystem;
its size is a disk allowance the driver writes into the guest's config
(``[guest_agent] disk_allowance_gb``, like the size of a block device),
and its usage is what the directory's files occupy on disk.

When a Nova guest's volume has been extended, its filesystem is grown
online (mounted, the datastore running), as ext4 and XFS allow.
"""

import os
import subprocess

GB = 1024 ** 3
BLOCK_SIZE = 4096
# What is mounted where, as this process sees it.
MOUNTS = '/proc/self/mounts'


def to_gb(size):
    """Bytes as GB with two decimals (at least 0.01 for anything)."""
    if not size:
        return 0.0
    return round(size / GB, 2) or 0.01


def directory_usage(path):
    """Bytes the files under ``path`` occupy on disk (allocated blocks,
    so sparse files count what they really use); each inode once."""
    seen = set()
    used = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except FileNotFoundError:  # removed while walking
                continue
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            used += stat.st_blocks * 512
    return used


def filesystem_stats(path, allowance_gb=0):
    """Trove's ``get_filesystem_stats`` answer for the volume at ``path``:
    ``used`` and ``total`` in GB, plus block counts for a percentage."""
    if allowance_gb:
        total = allowance_gb * GB
        used = directory_usage(path)
        block_size = BLOCK_SIZE
        total_blocks = total // block_size
        free_blocks = max(0, total - used) // block_size
        avail_blocks = free_blocks
    else:
        stats = os.statvfs(path)
        block_size = stats.f_frsize
        total_blocks, free_blocks = stats.f_blocks, stats.f_bfree
        avail_blocks = stats.f_bavail
        total = total_blocks * block_size
        used = total - free_blocks * block_size
    return {
        'block_size': block_size,
        'total_blocks': total_blocks,
        'free_blocks': free_blocks,
        'avail_blocks': avail_blocks,
        'total': to_gb(total),
        'free': max(0, total - used),
        'used': to_gb(used),
    }


def usage(stats):
    """What a heartbeat reports of a volume (see filesystem_stats):
    ``used`` in GB and ``used_percent`` of what the datastore can use."""
    in_use = stats['total_blocks'] - stats['free_blocks']
    capacity = in_use + stats['avail_blocks']
    percent = round(100 * in_use / capacity, 2) if capacity else 0.0
    return {'used': stats['used'], 'used_percent': percent}


def is_full(stats):
    """Whether a volume (see filesystem_stats) has no space left for the
    datastore."""
    return stats['free'] == 0


def mounted(mount_point, mounts_file=None):
    """The (device, filesystem type) mounted at ``mount_point`` (the last
    mount there, which hides any earlier one)."""
    target = os.path.realpath(mount_point)
    found = None
    with open(mounts_file or MOUNTS) as mounts:
        for line in mounts:
            if not line.strip():
                continue
            device, where, fstype = line.split()[:3]
            # The kernel escapes spaces and the like as octal (\040).
            where = where.encode().decode('unicode_escape')
            if where == target:
                found = (device, fstype)
    if found is None:
        raise ValueError(f'nothing is mounted at {mount_point}')
    return found


def grow_filesystem(mount_point, mounts_file=None):
    """Grow the filesystem mounted at ``mount_point`` to the size of its
    block device, online; the command's output."""
    device, fstype = mounted(mount_point, mounts_file)
    if fstype in ('ext3', 'ext4'):
        command = ['resize2fs', device]
    elif fstype == 'xfs':
        command = ['xfs_growfs', mount_point]
    else:
        raise ValueError(f'a {fstype} filesystem cannot be grown online')
    try:
        done = subprocess.run(command, check=True, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as error:
        raise ValueError(f'{command[0]} failed: '
                         f'{(error.stderr or error.stdout).strip()}') \
            from error
    return done.stdout
