"""Pieces every view shares: links, timestamps, pagination links."""

import urllib.parse

import pecan


def timestamp(value):
    """Trove's time format: ISO 8601, no microseconds, no zone."""
    return value.strftime('%Y-%m-%dT%H:%M:%S') if value else None


def _link_bases():
    """(``<host>/v1.0/<project>``, ``<host>``) of this request, worked out
    once per request: a list view makes two links per item."""
    environ = pecan.request.environ
    bases = environ.get('trove_lite.link_bases')
    if bases is None:
        request = pecan.request
        host = request.host_url
        bases = (f'{host}/v1.0/{request.context.project_id}', host)
        environ['trove_lite.link_bases'] = bases
    return bases


def resource_links(path, resource_id):
    """Trove's self/bookmark links of a resource (``path`` like
    ``instances``), built from the request's host and the caller's
    project."""
    project_base, host = _link_bases()
    return [
        {'rel': 'self', 'href': f'{project_base}/{path}/{resource_id}'},
        {'rel': 'bookmark', 'href': f'{host}/{path}/{resource_id}'},
    ]


def next_page_links(marker):
    """``links`` for a paginated list with a next page: the request URL
    with ``marker`` replaced."""
    request = pecan.request
    query = [(key, value) for key, value in request.GET.items()
             if key != 'marker']
    query.append(('marker', marker))
    href = f'{request.path_url}?{urllib.parse.urlencode(query)}'
    return [{'rel': 'next', 'href': href}]
