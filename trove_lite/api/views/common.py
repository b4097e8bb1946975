"""Pieces every view shares: links, timestamps, pagination links."""

import urllib.parse

import pecan


def timestamp(value):
    """Trove's time format: ISO 8601, no microseconds, no zone."""
    return value.strftime('%Y-%m-%dT%H:%M:%S') if value else None


class Links:
    """Trove's self/bookmark links of one request's resources, built from
    the request's host and the caller's project."""

    __slots__ = ('_project_base', '_host')

    def __init__(self, project_base, host):
        self._project_base = project_base
        self._host = host

    def of(self, path, resource_id):
        """The links of a resource (``path`` like ``instances``)."""
        return [
            {'rel': 'self',
             'href': f'{self._project_base}/{path}/{resource_id}'},
            {'rel': 'bookmark', 'href': f'{self._host}/{path}/{resource_id}'},
        ]


def request_links():
    """The Links of this request, worked out once per request (a list view
    makes two links per item)."""
    environ = pecan.request.environ
    links = environ.get('trove_lite.links')
    if links is None:
        request = pecan.request
        host = request.host_url
        links = Links(f'{host}/v1.0/{request.context.project_id}', host)
        environ['trove_lite.links'] = links
    return links


def resource_links(path, resource_id):
    """The self/bookmark links of one resource of this request."""
    return request_links().of(path, resource_id)


def next_page_links(marker):
    """``links`` for a paginated list with a next page: the request URL
    with ``marker`` replaced."""
    request = pecan.request
    query = [(key, value) for key, value in request.GET.items()
             if key != 'marker']
    query.append(('marker', marker))
    href = f'{request.path_url}?{urllib.parse.urlencode(query)}'
    return [{'rel': 'next', 'href': href}]
