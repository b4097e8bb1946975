"""A small REST client for the trove-lite (Trove v1.0) API."""

import requests

DEFAULT_URL = 'http://127.0.0.1:8779'


class APIError(Exception):
    """An error reply, carrying the fault message of its body."""

    def __init__(self, status_code, message):
        super().__init__(message)
        self.status_code = status_code


def endpoint(url, project_id):
    """``<url>/v1.0/<project>`` unless ``url`` already names a project."""
    url = url.rstrip('/')
    if '/v1.0/' in url + '/' and not url.endswith('/v1.0'):
        return url
    if not project_id:
        raise APIError(0, 'No project: pass --os-project-id or set '
                          'OS_PROJECT_ID.')
    base = url if url.endswith('/v1.0') else f'{url}/v1.0'
    return f'{base}/{project_id}'


class Client:
    """Calls one project's endpoint; raises APIError with the API's own
    fault message."""

    def __init__(self, url, token=None, timeout=30):
        self.url = url
        self.session = requests.Session()
        self.session.headers.update({'Accept': 'application/json',
                                     'Content-Type': 'application/json',
                                     'User-Agent': 'trove-lite-cli'})
        if token:
            self.session.headers['X-Auth-Token'] = token
        self.timeout = timeout

    def request(self, method, path, body=None, params=None):
        try:
            response = self.session.request(
                method, self.url + path, json=body, params=params,
                timeout=self.timeout)
        except requests.RequestException as error:
            raise APIError(0, f'Cannot reach {self.url}: {error}') from None
        if response.status_code >= 400:
            raise APIError(response.status_code, _fault_message(response))
        if not response.content:
            return None
        return response.json()

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def post(self, path, body=None):
        return self.request('POST', path, body=body)

    def delete(self, path):
        return self.request('DELETE', path)


def _fault_message(response):
    try:
        body = response.json()
    except ValueError:
        return f'HTTP {response.status_code}: {response.text[:200]}'
    if isinstance(body, dict) and len(body) == 1:
        fault = next(iter(body.values()))
        if isinstance(fault, dict) and 'message' in fault:
            return f'{fault["message"]} (HTTP {response.status_code})'
    return f'HTTP {response.status_code}: {body}'
