"""What every controller shares: reading JSON bodies, empty responses,
the current context, the instance a sub-resource belongs to."""

import inspect
import json

import pecan
import webob
from pecan import rest

from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.instance import api as instance_api

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


def optional_json_body():
    """The JSON body, or None when the request has none."""
    if not pecan.request.body:
        return None
    return json_body()


# Set in the environ of a request answered 200 without a body, which
# Pecan would turn into a 204 (see app.EmptyOK).
EMPTY_OK = 'trove_lite.empty_ok'


def empty_response(code):
    """A reply without a body (200/202/204) that still says JSON, as
    Trove's."""
    if code == 200:
        pecan.request.environ[EMPTY_OK] = True
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


def authorized_instance(instance_id, rule):
    """The instance a request acts on (itself or a sub-resource): 404
    when the caller cannot see it, 403 unless the policy ``rule`` allows
    the caller to act on it."""
    record = instance_api.get(context(), instance_id)
    policy.authorize(context(), rule, {'tenant': record.tenant_id})
    return record


class NamedMembersController(rest.RestController):
    """A collection whose members are named by tenants (databases, users):
    a name in the path is only ever a name, never taken for one of this
    controller's attributes by Pecan's routing."""

    def _lookup_child(self, remainder):
        child = super()._lookup_child(remainder)
        return child if inspect.ismethod(child) else None
