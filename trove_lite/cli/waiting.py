"""``--wait``: follow an instance until an operation is over, showing its
progress on stderr (so that ``-f json`` output stays clean)."""

import argparse
import time

from trove_lite.cli import client as api_client

READY = ('ACTIVE', 'HEALTHY')
# Statuses of an instance that has an operation under way.
BUSY = frozenset({'BUILD', 'REBOOT', 'RESIZE', 'SHUTDOWN', 'BACKUP',
                  'UPGRADE', 'PROMOTE', 'EJECT', 'DETACH', 'RESTART_REQUIRED',
                  'MIGRATE', 'LOGGING'})
SPINNER = '|/-\\'
SPINNER_TICK = 0.1
DEFAULT_TIMEOUT = 900


class WaitFailed(Exception):
    """The operation ended badly: ERROR, gone, undone, or out of time."""


def is_ready(instance):
    return instance is not None and (
        instance['status'], instance.get('operating_status')) == READY


def status_label(instance):
    """``ACTIVE HEALTHY``, ``BUILD``, ... or ``DELETED``."""
    if instance is None:
        return 'DELETED'
    return ' '.join(filter(None, (instance['status'],
                                  instance.get('operating_status'))))


def fault(instance):
    return (instance.get('fault') or {}).get('message') or \
        'no fault message was recorded'


def poll_interval(elapsed):
    """Often at first (most operations take seconds), then gently."""
    return 0.5 if elapsed < 30 else 2.0


class Progress:
    """One line per status change; on a terminal a single line rewritten
    in place with a spinner and the elapsed seconds."""

    def __init__(self, stream, subject):
        self.stream = stream
        self.subject = subject
        self.tty = stream.isatty()
        self.last_status = None
        self.ticks = 0
        self.width = 0

    def update(self, status, elapsed):
        if self.tty:
            spin = SPINNER[self.ticks % len(SPINNER)]
            self.ticks += 1
            self._rewrite(f'{spin} {self.subject}: {status} '
                          f'({elapsed:.1f}s)')
        elif status != self.last_status:
            self.stream.write(
                f'{self.subject}: {status} after {elapsed:.1f}s\n')
        self.stream.flush()
        self.last_status = status

    def finish(self, status, elapsed):
        if self.tty:
            self._rewrite(f'{self.subject}: {status} after {elapsed:.1f}s')
            self.stream.write('\n')
        elif status != self.last_status:
            self.stream.write(
                f'{self.subject}: {status} after {elapsed:.1f}s\n')
        self.stream.flush()

    def _rewrite(self, line):
        # Pad over the rest of a longer previous line (no terminal codes).
        self.stream.write('\r' + line.ljust(self.width))
        self.width = len(line)


class Waiter:
    """Polls ``GET /instances/{id}`` until ``done(instance)`` (``None``
    once the instance is gone) and returns the last instance seen.

    Fails when the instance goes to ERROR (with its fault message), when
    it disappears or becomes ready again without ``done`` being true
    after having been busy (the operation was undone), or on timeout.
    """

    def __init__(self, client, stream, timeout=DEFAULT_TIMEOUT):
        self.client = client
        self.stream = stream
        self.timeout = timeout
        self.clock = time.monotonic
        self.sleep = time.sleep

    def wait(self, instance, done, operation, error_is_final=True):
        """``instance``: the instance's JSON as last known; ``operation``
        names what is awaited in messages (``the restart``).
        ``error_is_final=False`` keeps waiting through ERROR: Trove shows
        a failed instance being deleted as ERROR until it is gone."""
        subject = f'Instance {instance["name"]}'
        progress = Progress(self.stream, subject)
        started = self.clock()
        seen_busy = False
        while True:
            current = self._get(instance['id'])
            elapsed = self.clock() - started
            label = status_label(current)
            if done(current):
                progress.finish(label, elapsed)
                return current
            progress.update(label, elapsed)
            if current is None:
                self._fail(progress, f'{subject} disappeared during '
                                     f'{operation}.')
            if current['status'] == 'ERROR' and error_is_final:
                self._fail(progress, f'{subject} went to ERROR during '
                                     f'{operation}: {fault(current)}')
            seen_busy = seen_busy or current['status'] in BUSY
            if seen_busy and is_ready(current):
                self._fail(progress, f'{subject} is {label} again but '
                                     f'{operation} did not take effect.')
            if elapsed >= self.timeout:
                self._fail(progress, f'Timed out after {self.timeout:g}s '
                                     f'waiting for {operation} of '
                                     f'instance {instance["name"]} (last '
                                     f'status {label}).')
            self._pause(progress, label, started, poll_interval(elapsed))

    def _get(self, instance_id):
        try:
            return self.client.get(
                f'/instances/{api_client.quote(instance_id)}')['instance']
        except api_client.APIError as error:
            if error.status_code == 404:
                return None
            raise

    def _pause(self, progress, label, started, interval):
        """Sleep until the next poll, keeping the spinner turning."""
        if not progress.tty:
            self.sleep(interval)
            return
        for _ in range(max(1, round(interval / SPINNER_TICK))):
            self.sleep(SPINNER_TICK)
            progress.update(label, self.clock() - started)

    def _fail(self, progress, message):
        if progress.tty:
            self.stream.write('\n')
        raise WaitFailed(message)


def add_arguments(parser):
    """``--wait`` and ``--timeout`` of a command that can wait."""
    parser.add_argument(
        '--wait', action='store_true',
        help='Wait until the operation has finished, showing progress on '
             'stderr; exit non-zero if the instance ends in ERROR.')
    parser.add_argument(
        '--timeout', type=positive_seconds, default=DEFAULT_TIMEOUT,
        metavar='SECONDS',
        help='Give up waiting after this many seconds (default '
             '%(default)s).')


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a number of seconds') from None
    if value <= 0:
        raise argparse.ArgumentTypeError('must be more than 0 seconds')
    return value
