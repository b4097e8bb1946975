"""A guest's connection to Swift: requests signed by its storage grant
(temporary URLs, see storage.grants), never the account's credentials.

It answers the few calls of swiftclient's Connection the swift driver
makes, and raises swiftclient's ClientException for an answer that is
not a success, so the driver handles both alike. It cannot list or make
containers: a grant does not allow it.
"""

import time
import urllib.parse

import requests
from swiftclient import exceptions as swift_exceptions

from trove_lite.common import exceptions

# Swift answers a HEAD signed for GET or PUT as well.
_SIGNATURE_FOR = {'HEAD': ('GET', 'PUT'), 'GET': ('GET',), 'PUT': ('PUT',),
                  'DELETE': ('DELETE',)}


class SignedConnection:
    can_list = False

    def __init__(self, grant, timeout, retries, verify=True):
        self.url = grant['url'].rstrip('/')
        self._project = grant['project_id']
        self._expires = grant['expires']
        self._scopes = grant['scopes']
        self._timeout = timeout
        self._retries = retries
        self._http = requests.Session()
        self._http.verify = verify

    def _signed(self, method, container, obj):
        """(URL, query) of ``method`` on ``container``/``obj``; refused
        (StorageAccessDenied) when no scope of the grant covers it."""
        for scope in self._scopes:
            signatures = scope.get('signatures', {}).get(container, {})
            prefix = f'{self._project}/{scope["prefix"]}'
            if not obj.startswith(prefix):
                continue
            for allowed in _SIGNATURE_FOR[method]:
                if allowed in signatures:
                    return (f'{self.url}/{urllib.parse.quote(container)}/'
                            f'{urllib.parse.quote(obj)}',
                            {'temp_url_sig': signatures[allowed],
                             'temp_url_expires': str(self._expires),
                             'temp_url_prefix': prefix})
        raise exceptions.StorageAccessDenied(
            location=f'{method} {container}/{obj} (not in the grant)')

    def _request(self, method, container, obj, repeatable=True, **kwargs):
        url, query = self._signed(method, container, obj)
        attempts = 1 + (self._retries if repeatable else 0)
        for attempt in range(attempts):
            try:
                response = self._http.request(method, url, params=query,
                                              timeout=self._timeout,
                                              **kwargs)
            except requests.RequestException:
                if attempt + 1 == attempts:
                    raise
            else:
                if response.status_code < 500 or attempt + 1 == attempts:
                    break
                response.close()
            time.sleep(min(2 ** attempt, 10))
        if response.status_code >= 300:
            body = '' if method == 'HEAD' else response.text[:200]
            response.close()
            raise swift_exceptions.ClientException(
                f'{method} {container}/{obj}: {response.status_code} '
                f'{response.reason} {body}'.strip(),
                http_status=response.status_code,
                http_reason=response.reason)
        return response

    @staticmethod
    def _headers(response):
        return {key.lower(): value for key, value in response.headers.items()}

    def put_object(self, container, obj, contents, headers=None,
                   content_type=None):
        headers = dict(headers or {})
        if content_type:
            headers['Content-Type'] = content_type
        repeatable = isinstance(contents, (bytes, str))
        response = self._request('PUT', container, obj, repeatable,
                                 data=contents, headers=headers)
        response.close()
        return response.headers.get('etag', '').strip('"')

    def head_object(self, container, obj):
        response = self._request('HEAD', container, obj)
        response.close()
        return self._headers(response)

    def get_object(self, container, obj, resp_chunk_size=None):
        response = self._request('GET', container, obj,
                                 stream=resp_chunk_size is not None)
        if resp_chunk_size is None:
            return self._headers(response), response.content
        return self._headers(response), _Body(response, resp_chunk_size)

    def delete_object(self, container, obj):
        self._request('DELETE', container, obj).close()

    def get_auth(self):
        return self.url, None


class _Body:
    """A streamed GET's body, in chunks; closes the response at the end."""

    def __init__(self, response, chunk_size):
        self._response = response
        self._chunk_size = chunk_size

    def __iter__(self):
        try:
            yield from self._response.iter_content(self._chunk_size)
        finally:
            self._response.close()

    def close(self):
        self._response.close()
