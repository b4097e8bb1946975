"""Spare Pecan work it repeats on every request.

- Pecan inspects controller signatures several times per request and its
  ``getargspec`` builds a new namedtuple class on every call: about 60 %
  of Pecan's CPU time per request when it was profiled. Signatures never
  change at run time, so the result is cached per function; this doubles
  the requests per second of the API (benchmarks/ measures them).
- Its routing looks for custom path segments on every controller of the
  path, and lists the controller's attributes (``dir``) to do so even for
  a class it already checked, when it does nothing with them: a class
  already checked is skipped (``benchmarks/api_profile.py``: four ``dir``
  calls per request, ~4 % of an empty list).
- A RestController asks whether the application keeps the request in
  thread locals (it strips ``self`` from a controller's arguments then,
  ``self, req, resp`` otherwise) by computing ``pecan.request.path``
  through its proxy, four times per request. trove-lite's application
  keeps it there (``make_app``'s default), so the answer is fixed.
"""

import functools

import pecan.core
import pecan.decorators
import pecan.rest
import pecan.routing
import pecan.util

_original = pecan.util.getargspec
_INSTALLED = False


@functools.lru_cache(maxsize=4096)
def _cached(function):
    return _original(function)


def getargspec(method):
    # Bound methods are new objects on every attribute access; their
    # underlying function is stable (and yields the same argspec).
    return _cached(getattr(method, '__func__', method))


def args_for_controller(_rest_controller, controller):
    return getargspec(controller).args[1:]


_detect_custom_path_segments = pecan.routing._detect_custom_path_segments
_CHECKED_CLASSES = pecan.routing.__observed_controllers__


def detect_custom_path_segments(controller):
    if controller.__class__ not in _CHECKED_CLASSES:
        _detect_custom_path_segments(controller)


def install():
    global _INSTALLED
    if _INSTALLED:
        return
    for module in (pecan.util, pecan.core, pecan.decorators, pecan.rest,
                   pecan.routing):
        module.getargspec = getargspec
    pecan.routing._detect_custom_path_segments = detect_custom_path_segments
    pecan.rest.RestController._get_args_for_controller = args_for_controller
    _INSTALLED = True
