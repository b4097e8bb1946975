"""The CLI's HTTP client for one project's Trove v1.0 endpoint.

Requests go through a keystoneauth1 adapter, so the same client works
without Keystone (trove-lite's noauth mode, the project in the URL) and
with it (token and endpoint from Keystone); ``auth.py`` builds the
adapter.
"""

import time
import urllib.parse

from keystoneauth1 import exceptions as ksa_exceptions

DEFAULT_URL = 'http://127.0.0.1:8779'


class APIError(Exception):
    """A failed request, as the one line the user sees: the API's fault
    message, or why the API could not be reached."""

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.status_code = status_code


def endpoint(url, project_id):
    """``<url>/v1.0/<project>``, unless ``url`` already names a project."""
    url = url.rstrip('/')
    if '/v1.0/' in url:
        return url
    if not project_id:
        raise APIError('No project: pass --os-project-id or set '
                       'OS_PROJECT_ID (or give a URL ending in '
                       '/v1.0/<project>).')
    base = url if url.endswith('/v1.0') else f'{url}/v1.0'
    return f'{base}/{project_id}'


def quote(segment):
    """One path segment, quoted (``/`` included). python-troveclient also
    writes ``.`` as ``%2e``, but requests sends it as ``.`` again (an
    unreserved character), so the API sees dots either way."""
    return urllib.parse.quote(str(segment), safe='')


class Client:
    """JSON requests against one project's endpoint; any error is an
    APIError carrying the API's own fault message."""

    # trove-lite's API closes a connection idle for its keep-alive time
    # (5 s): a request sent on it just then is lost unanswered (RFC 9112
    # 9.3.1), and a POST may not be sent again blindly. So a connection
    # idle longer than this is not reused (``log show --follow`` polls
    # every 5 s; the interactive shell waits for the user).
    IDLE_REUSE = 3.0

    def __init__(self, adapter, clock=time.monotonic):
        self.adapter = adapter
        self._clock = clock
        self._answered_at = None

    def request(self, method, path, body=None, params=None):
        kwargs = {'raise_exc': False,
                  'headers': {'Accept': 'application/json'}}
        if body is not None:
            kwargs['json'] = body
        if params:
            kwargs['params'] = params
        if (self._answered_at is not None
                and self._clock() - self._answered_at > self.IDLE_REUSE):
            # The requests session's pools only: it stays usable.
            self.adapter.session.session.close()
        try:
            response = self.adapter.request(path, method, **kwargs)
        except ksa_exceptions.ConnectionError as error:
            raise APIError(f'Cannot reach the trove-lite API at '
                           f'{self._endpoint_or_path(path)}: '
                           f'{root_cause(error)}') from None
        except ksa_exceptions.ClientException as error:
            raise APIError(str(error)) from None
        finally:
            self._answered_at = self._clock()
        if response.status_code >= 400:
            raise APIError(fault_message(response), response.status_code)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise APIError(f'{method} {path} answered HTTP '
                           f'{response.status_code} with a body that is '
                           f'not JSON: is --url a trove-lite API?') \
                from None

    def _endpoint_or_path(self, path):
        try:
            return self.adapter.get_endpoint() or path
        except ksa_exceptions.ClientException:
            return path

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def post(self, path, body=None):
        return self.request('POST', path, body=body)

    def put(self, path, body):
        return self.request('PUT', path, body=body)

    def patch(self, path, body):
        return self.request('PATCH', path, body=body)

    def delete(self, path):
        return self.request('DELETE', path)

    def list_all(self, path, key):
        """Every item of a paginated list, following the ``next`` links
        (the marker is taken from the link, as python-troveclient does)."""
        params = None
        while True:
            page = self.get(path, params=params)
            yield from page[key]
            marker = next_marker(page)
            if marker is None or not page[key]:
                return
            params = {'marker': marker}


def root_cause(error):
    """The innermost OS error's text (``Connection refused``, ``Name or
    service not known``) behind a connection failure, else the error."""
    seen = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        linked = [current.__cause__, current.__context__,
                  getattr(current, 'reason', None), *current.args]
        pending.extend(item for item in linked
                       if isinstance(item, BaseException))
    return str(error)


def next_marker(page):
    for link in page.get('links', []):
        if link.get('rel') == 'next':
            query = urllib.parse.urlparse(link['href']).query
            markers = urllib.parse.parse_qs(query).get('marker')
            if markers:
                return markers[0]
    return None


def fault_message(response):
    """The message of a Trove fault body (``{"<name>": {"code",
    "message"}}``), with the HTTP status."""
    code = response.status_code
    try:
        body = response.json()
    except ValueError:
        text = ' '.join(response.text.split())[:200]
        return f'HTTP {code}: {text}' if text else f'HTTP {code}'
    if isinstance(body, dict) and len(body) == 1:
        fault = next(iter(body.values()))
        if isinstance(fault, dict) and fault.get('message'):
            return f'{fault["message"]} (HTTP {code})'
    if isinstance(body, dict) and body.get('message'):
        return f'{body["message"]} (HTTP {code})'
    return f'HTTP {code}: {body}'
