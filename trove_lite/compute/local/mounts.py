"""A private view of the filesystem for a local guest: a mount namespace
of its own in which the directories of other guests, and the host's
private directories, are empty.

A guest's user already cannot open another guest's files (0700, another
uid); in its namespace it cannot even see their names. Every hidden
directory gets an empty tmpfs over it, and what the guest needs from
under it is bound back at the same path: its own server directory and
volume, the template images, and the Python it runs (a Python installed
under /root, say).

Linux only, and only as root; ``enter`` is called by the launcher in the
forked guest, before it drops to the guest's user.
"""

import ctypes
import os

_CLONE_NEWNS = 0x00020000
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f'{what}: {os.strerror(error)}')


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(),
                       fstype and fstype.encode(), ctypes.c_ulong(flags),
                       data and data.encode()), f'mount {target}')


def _under(path, parent):
    return path == parent or path.startswith(parent.rstrip('/') + '/')


def _closed_ancestors(path):
    """Every directory above ``path`` that other users cannot pass (a
    Python under /root, a private checkout, the .tox inside it)."""
    closed = []
    parent = os.path.dirname(path)
    while parent != path:
        if not os.stat(parent).st_mode & 0o001:
            closed.append(parent)
        path, parent = parent, os.path.dirname(parent)
    return closed


def _nearest_above(path, candidates):
    """The deepest of ``candidates`` strictly above ``path``, or None."""
    above = [other for other in candidates
             if other != path and _under(path, other)]
    return max(above, key=len, default=None)


def plan(hidden, needed):
    """Which directories to cover, in the order to cover them (outer
    first), and for each which ``needed`` paths to bind back:
    {cover: [needed]}.

    Covered are the existing ``hidden`` directories that are not needed
    themselves, and every directory that keeps the guest from a needed
    path. A needed path is bound back under its nearest cover, unless a
    needed directory between the two shows it already. A cover inside
    another is made only where a needed directory brings it back into
    view (the closed .tox of a checkout bound back whole)."""
    needed = {os.path.realpath(path) for path in needed
              if os.path.exists(path)}
    hidden = {os.path.realpath(path) for path in hidden
              if os.path.isdir(path)}
    for path in needed:
        hidden.update(_closed_ancestors(path))
    covers = sorted(hidden - needed, key=lambda path: (len(path), path))
    layout = {}
    for cover in covers:
        outer = _nearest_above(cover, covers)
        shown_by = _nearest_above(cover, needed)
        if outer is None or (outer in layout and shown_by is not None
                             and _under(shown_by, outer)):
            layout[cover] = []
    for path in sorted(needed):
        cover = _nearest_above(path, layout)
        if cover is None:
            continue
        shown_by = _nearest_above(path, needed)
        if shown_by is not None and _under(shown_by, cover):
            continue
        layout[cover].append(path)
    return layout


def enter(hidden, needed):
    """Move this process into a mount namespace of its own where every
    directory of ``hidden`` is empty but for the paths of ``needed``
    under it. Mounts made here never reach the host's namespace."""
    layout = plan(hidden, needed)
    _check(_libc.unshare(_CLONE_NEWNS), 'unshare')
    _mount(None, '/', None, _MS_REC | _MS_PRIVATE)
    # Opened in the new namespace (a bind mount takes its source from the
    # same one) before anything is covered.
    sources = {path: os.open(path, os.O_PATH | os.O_CLOEXEC)
               for paths in layout.values() for path in paths}
    try:
        for cover, paths in layout.items():
            # Passable, not listable: the guest reaches what is bound
            # back, and nothing else is there.
            _mount('tmpfs', cover, 'tmpfs',
                   _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, 'mode=711,size=64k')
            for path in paths:
                _bind_back(path, sources[path])
    finally:
        for fd in sources.values():
            os.close(fd)


def _bind_back(path, fd):
    """Bind what ``fd`` opens at ``path`` (inside a fresh tmpfs: its
    parents are made, passable by everyone like the ones they hide)."""
    if os.path.isdir(f'/proc/self/fd/{fd}'):
        os.makedirs(path, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        with open(path, 'w'):
            pass
    _mount(f'/proc/self/fd/{fd}', path, None, _MS_BIND | _MS_REC)
