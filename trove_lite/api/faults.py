"""Trove's fault body, and the WSGI middleware that guarantees every error
leaves the API in that shape: ``{"<faultName>": {"code", "message"}}``."""

import io
import json
import logging
import uuid

import webob
import webob.exc

from trove_lite.common import exceptions
from trove_lite.db import retry as db_retry

LOG = logging.getLogger(__name__)

JSON = 'application/json'

# Names for HTTP errors raised outside our exceptions (routing, webob).
_FAULT_NAMES = {
    400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
    404: 'itemNotFound', 405: 'badMethod', 406: 'notAcceptable',
    409: 'conflict', 413: 'overLimit', 415: 'badMediaType',
    422: 'unprocessableEntity', 500: 'instanceFault',
    501: 'notImplemented', 503: 'serviceUnavailable',
}

_DEFAULT_MESSAGES = {
    404: 'The resource could not be found.',
    405: 'The method is not allowed for this resource.',
}


def fault_response(code, message, fault_name=None, headers=None,
                   fields=None):
    name = fault_name or _FAULT_NAMES.get(code) or 'computeFault'
    body = json.dumps({name: {'code': code, 'message': message,
                              **(fields or {})}})
    response = webob.Response(body=body.encode(), status=code,
                              content_type=JSON, charset=None)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_exception(error, request_id=None):
    """The fault response for any exception raised while serving."""
    if isinstance(error, exceptions.TroveLiteError):
        return fault_response(error.code, str(error), error.fault_name,
                              error.response_headers(),
                              error.fault_fields())
    if isinstance(error, webob.exc.HTTPException) and error.code < 500:
        return fault_response(error.code, _webob_message(error))
    if isinstance(error, UnicodeDecodeError):
        # WebOb decodes the path, the query and a form as UTF-8 when
        # they are read.
        return fault_response(400, 'The request is not valid UTF-8.',
                              'badRequest')
    if db_retry.is_unavailable(error):
        LOG.error('Database unavailable (request %s): %s', request_id,
                  error)
        return fault_response(503, exceptions.ServiceUnavailable.message,
                              'serviceUnavailable')
    LOG.exception('Unexpected error (request %s)', request_id)
    return fault_response(
        500, 'Internal Server Error. Please keep this ID to help us figure '
             f'out what went wrong: ({request_id}).', 'instanceFault')


def _webob_message(error):
    detail = error.detail or _DEFAULT_MESSAGES.get(error.code)
    return detail or error.explanation or error.title


class FaultWrapper:
    """Outermost layer around the app: turns exceptions and non-JSON error
    responses (router 404/405, webob errors) into Trove fault bodies.
    Plain WSGI, so a successful request pays almost nothing for it."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        reply = {}

        def capture(status, headers, exc_info=None):
            reply.update(status=status, headers=headers)
            return lambda data: None  # no app here writes directly

        try:
            chunks = self.application(environ, capture)
            try:
                body = b''.join(chunks)
            finally:
                if hasattr(chunks, 'close'):
                    chunks.close()
        except Exception as error:
            response = from_exception(
                error, environ.get('openstack.request_id'))
            return response(environ, start_response)
        code = int(reply['status'].split(' ', 1)[0])
        if code >= 400 and not any(
                name.lower() == 'content-type' and value.startswith(JSON)
                for name, value in reply['headers']):
            message = _DEFAULT_MESSAGES.get(
                code, reply['status'].split(' ', 1)[-1])
            return fault_response(code, message)(environ, start_response)
        start_response(reply['status'], reply['headers'])
        return [body]


class RequestId:
    """Give every request an id (``req-<uuid>``): in the environ for the
    logs and the context, and in the ``x-openstack-request-id`` response
    header, as oslo.middleware's RequestId does."""

    HEADER = 'x-openstack-request-id'

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        request_id = f'req-{uuid.uuid4()}'
        environ['openstack.request_id'] = request_id

        def with_id(status, headers, exc_info=None):
            headers.append((self.HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.application(environ, with_id)


class BodySizeLimit:
    """Refuse request bodies over ``max_request_body_size`` with 413."""

    def __init__(self, application, max_size):
        self.application = application
        self.max_size = max_size

    def __call__(self, environ, start_response):
        length = environ.get('CONTENT_LENGTH')
        too_large = False
        if length:
            try:
                too_large = int(length) > self.max_size
            except ValueError:
                return fault_response(400, 'Invalid Content-Length.')(
                    environ, start_response)
        elif environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
            body = environ['wsgi.input'].read(self.max_size + 1)
            too_large = len(body) > self.max_size
            if not too_large:
                environ['wsgi.input'] = io.BytesIO(body)
                environ['CONTENT_LENGTH'] = str(len(body))
        if too_large:
            return fault_response(
                413, f'Request is too large (more than {self.max_size} '
                     f'bytes).')(environ, start_response)
        return self.application(environ, start_response)


class JsonBodyGuard:
    """Refuse, before anything parses it again (Pecan reads every JSON
    body for arguments), a body that is JSON but nested deeper than
    ``MAX_DEPTH`` (deep enough nesting exhausts the parser's recursion) or
    holding a lone surrogate (``"\\ud800"``: no UTF-8 text for the
    database, the guest or the logs). Bodies that are not JSON go on, to
    get their 400 or 415 where they are read."""

    MAX_DEPTH = 32

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        if request.content_length or request.is_body_readable:
            problem = self.problem_of(request.body)
            if problem is not None:
                return fault_response(
                    400, f'Malformed request body: {problem}',
                    'badRequest')(environ, start_response)
        return self.application(environ, start_response)

    @classmethod
    def problem_of(cls, body):
        """Why ``body`` is refused, or None."""
        try:
            document = json.loads(body)
        except RecursionError:
            return 'it is nested too deeply'
        except (ValueError, UnicodeDecodeError):
            return None
        pending = [(document, 1)]
        while pending:
            value, depth = pending.pop()
            if depth > cls.MAX_DEPTH:
                return f'it is nested deeper than {cls.MAX_DEPTH} levels'
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            elif isinstance(value, list):
                pending.extend((item, depth + 1) for item in value)
            elif isinstance(value, str) and not _is_text(value):
                return ('it holds a lone surrogate (\\ud800-\\udfff), '
                        'which is not text')
        return None


def _is_text(value):
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True
