"""What every controller shares: reading JSON bodies, empty responses,
the current context."""

import json

import pecan
import webob

from trove_lite.common import exceptions

_JSON_TYPES = ('application/json', 'application/xml', '')


def context():
    return pecan.request.context


def json_body():
    """The request body as JSON; 415 for another content type, 400 for a
    body that does not parse."""
    request = pecan.request
    if request.content_type not in _JSON_TYPES:
        raise exceptions.UnsupportedMediaType(
            f'Unsupported Content-Type: {request.content_type}')
    if not request.body:
        raise exceptions.MalformedBody(reason='the body is empty')
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise exceptions.MalformedBody(reason=str(error)) from None


def empty_response(code):
    """A reply without a body (202/204) that still says JSON, as Trove's."""
    return webob.Response(status=code, content_type='application/json',
                          charset=None, body=b'')


def page_limit(maximum):
    """Trove's page size: the request's ``limit``, capped at the page size
    option (a client cannot ask for more)."""
    raw = pecan.request.GET.get('limit')
    if raw in (None, ''):
        return maximum
    try:
        limit = int(raw)
    except ValueError:
        raise exceptions.BadRequest(
            f'limit must be an integer, not {raw[:40]!r}.') from None
    if limit < 1:
        raise exceptions.BadRequest('limit must be at least 1.')
    return min(limit, maximum)
