"""The request class Pecan builds for every API request (``pecan.request``
in controllers and hooks)."""

import functools

import webob
from webob import multidict

# Pecan's RestController routes to the method this parameter names ahead of
# the request's own (a convention for browser forms).
METHOD_OVERRIDE = '_method'


class Request(webob.Request):
    """A WebOb request, with two differences from ``pecan.Request``:

    - ``params`` never holds ``_method``. Pecan's routing took it ahead of
      the request's method: ``GET /instances?_method=post`` created an
      instance (counted by the rate limits as a read) and ``POST
      /instances/{id}?_method=delete`` deleted one. Trove's API has no such
      parameter: the request's own method decides what is done.
    - No Python-level ``__getattribute__`` around every attribute read
      (about a hundred per request, 9 % of an empty list's profiled time
      in ``benchmarks/api_profile.py``): Pecan's only turns a
      UnicodeDecodeError (bytes in the URL or query that are not UTF-8)
      into a 400, which ``faults.from_exception`` does for the whole
      request.
    """

    @functools.cached_property
    def params(self):
        # Read once: Pecan's routing asks for them at each controller of
        # the path, and WebOb merges the query and the form anew each time.
        params = super().params
        if METHOD_OVERRIDE not in params:
            return params
        return multidict.MultiDict(
            (name, value) for name, value in params.items()
            if name != METHOD_OVERRIDE)
