"""The one exception hierarchy of trove-lite.

Each class knows its HTTP code and Trove's fault key; the API turns any of
them into Trove's fault body ``{"<fault key>": {"code": .., "message": ..}}``.
"""


class TroveLiteError(Exception):
    """Base class; subclasses set ``message`` as a format string."""

    code = 400
    fault_name = 'badRequest'
    message = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.message % kwargs if kwargs else self.message
        self.msg = message
        super().__init__(message)

    def __str__(self):
        return self.msg

    def fault_fields(self):
        """Keys the fault body carries besides ``code`` and ``message``."""
        return {}

    def response_headers(self):
        """Headers the fault response carries."""
        return {}


class BadRequest(TroveLiteError):
    message = 'The server could not comply with the request since it is ' \
              'either malformed or otherwise incorrect.'


class IncompatibleObjectVersion(TroveLiteError):
    """A message carries an object in a version this service cannot read
    (a sender of another major version)."""

    code = 500
    fault_name = 'internalServerError'
    message = ('Cannot read %(name)s version %(version)s: this service '
               'reads version %(known)s.')


class ValidationError(BadRequest):
    message = 'Validation error: %(detail)s'


class MalformedBody(BadRequest):
    message = 'Malformed request body: %(reason)s'


class FlavorNotFound(BadRequest):
    message = 'Resource %(uuid)s cannot be found.'


class DatastoreVersionNotFound(BadRequest):
    message = "Datastore version '%(version)s' cannot be found."


class DatastoreVersionInactive(BadRequest):
    message = "Datastore version '%(version)s' is not active."


class DatastoreDefaultDatastoreNotFound(BadRequest):
    message = 'Please specify datastore. No default datastore is defined.'


class DatastoreDefaultVersionNotFound(BadRequest):
    message = "Default version for datastore '%(datastore)s' not found."


class VolumeSizeNotSpecified(BadRequest):
    message = 'Volume size was not specified.'


class QuotaLimitTooSmall(BadRequest):
    message = "Quota limit '%(limit)s' for '%(resource)s' is too small - " \
              "must be at least '-1'."


class QuotaLimitTooLarge(BadRequest):
    message = "Quota limit '%(limit)s' for '%(resource)s' is too large - " \
              "must be at most '%(maximum)s'."


class NetworkNotProvided(BadRequest):
    message = 'Unable to create instance because %(resource)s was not ' \
              'provided.'


class NetworkNotFound(BadRequest):
    message = 'Network Resource %(uuid)s cannot be found.'


class SubnetNotFound(BadRequest):
    message = 'Subnet %(subnet_id)s not found in the network ' \
              '%(network_id)s.'


class DatabaseAlreadyExists(BadRequest):
    message = 'A database with the name "%(name)s" already exists.'


class UserAlreadyExists(BadRequest):
    message = 'A user with the name "%(name)s" already exists.'


class GuestError(BadRequest):
    message = 'An error occurred communicating with the guest: ' \
              '%(original_message)s.'


class GuestTimeout(BadRequest):
    message = 'Timeout trying to connect to the Guest Agent.'


class InvalidInstanceState(BadRequest):
    message = 'The operation you have requested cannot be executed ' \
              'because the instance status is currently: %(status)s.'


class ConfigurationAlreadyAttached(BadRequest):
    message = 'Instance %(instance_id)s already has a Configuration Group ' \
              'attached: %(configuration_id)s.'


class ConfigurationDatastoreNotMatchInstance(BadRequest):
    message = 'Datastore Version on Configuration ' \
              '%(config_datastore_version)s does not match the Datastore ' \
              'Version on the instance %(instance_datastore_version)s.'


class InstanceAssignedToConfiguration(BadRequest):
    message = 'A configuration group cannot be deleted if it is ' \
              'associated with one or more non-terminated instances. ' \
              'Detach the configuration group from all non-terminated ' \
              'instances and please try again.'


class ConfigurationParameterAlreadyExists(BadRequest):
    message = '%(parameter_name)s parameter already exists for datastore ' \
              'version %(datastore_version)s.'


class ConfigurationParameterNotInDatabase(BadRequest):
    message = 'Parameter %(name)s does not exist in the database.'


class Unauthorized(TroveLiteError):
    code = 401
    fault_name = 'unauthorized'
    message = 'User does not have admin privileges.'


class Forbidden(TroveLiteError):
    code = 403
    fault_name = 'forbidden'
    message = 'User does not have access to this resource.'


class ProjectMismatch(Forbidden):
    message = 'User with tenant id %(project_id)s cannot access this ' \
              'resource.'


class PolicyNotAuthorized(Forbidden):
    message = "Policy doesn't allow %(action)s to be performed."


class OperationNotAllowedForProject(Forbidden):
    message = 'Operation not allowed for tenant %(tenant_id)s.'


class NotFound(TroveLiteError):
    code = 404
    fault_name = 'itemNotFound'
    message = 'Resource %(uuid)s cannot be found.'


class InstanceNotFound(NotFound):
    pass


class DatabaseNotFound(NotFound):
    message = 'Database %(uuid)s cannot be found on the instance.'


class UserNotFound(NotFound):
    message = 'User %(uuid)s cannot be found on the instance.'


class RootHistoryNotFound(NotFound):
    message = 'Root user has never been enabled on the instance.'


class DatastoreNotFound(NotFound):
    message = "Datastore '%(datastore)s' cannot be found."


class ConfigurationNotFound(NotFound):
    message = 'Configuration group with ID %(uuid)s could not be found.'


class BackupNotFound(NotFound):
    message = 'Backup %(uuid)s cannot be found.'


class QuotaResourceUnknown(NotFound):
    message = 'Unknown quota resources %(unknown)s.'


class MethodNotAllowed(TroveLiteError):
    code = 405
    fault_name = 'badMethod'
    message = 'The method %(method)s is not allowed for this resource.'


class Conflict(TroveLiteError):
    code = 409
    fault_name = 'conflict'
    message = 'The request conflicts with the current state.'


class BackupNotComplete(Conflict):
    message = 'Unable to create the instance: backup %(backup_id)s is not ' \
              'completed (it is %(state)s).'


class BackupHasChildren(Conflict):
    message = 'Backup %(backup_id)s cannot be deleted: the incremental ' \
              'backups %(children)s depend on it; delete them first.'


class OverLimit(TroveLiteError):
    code = 413
    fault_name = 'overLimit'
    message = 'The request is over a limit.'


class VolumeQuotaExceeded(OverLimit):
    message = 'Volume quota exceeded for the requested volume size; the ' \
              'maximum is %(max_size)s GB.'


class RequestTooLarge(OverLimit):
    message = 'Request is too large.'


class QuotaExceeded(OverLimit):
    """``overs`` is the sorted list of resources over their limit, shown
    as a Python list as Trove does."""

    message = 'Quota exceeded for resources: %(overs)s.'


class GuestsBusy(OverLimit):
    """Too many requests already wait on the guests of the project."""

    message = 'Too many requests are waiting on the guests of project ' \
              '%(project_id)s; retry in %(retry_after)s seconds.'

    def response_headers(self):
        return {'Retry-After': str(self.kwargs['retry_after'])}


class RateLimited(OverLimit):
    """A project made more requests than a rate limit allows; the fault
    says which limit and when to retry, as Trove's does."""

    message = 'This request was rate-limited.'

    def __init__(self, details, retry_after):
        super().__init__()
        self.details = details
        self.retry_after = retry_after

    def fault_fields(self):
        return {'details': self.details,
                'retryAfter': str(self.retry_after)}

    def response_headers(self):
        return {'Retry-After': str(self.retry_after)}


class UnsupportedMediaType(TroveLiteError):
    code = 415
    fault_name = 'badMediaType'
    message = 'Unsupported Content-Type'


class UnprocessableEntity(TroveLiteError):
    code = 422
    fault_name = 'unprocessableEntity'
    message = 'Unable to process the contained request.'


class InstanceBusy(UnprocessableEntity):
    message = 'Instance %(instance_id)s is not currently available for an ' \
              'action to be performed (%(status_type)s status was ' \
              '%(status)s).'


class BackupRunning(UnprocessableEntity):
    message = 'Backup %(backup_id)s is still running (status %(state)s) ' \
              'and cannot be deleted.'


class DatastoreNotRunning(UnprocessableEntity):
    message = 'Instance %(instance_id)s is not ready, status: %(status)s.'


class DatastoreOperationUnsupported(UnprocessableEntity):
    message = 'Operation not supported for datastore %(manager)s.'


class NotImplementedYet(TroveLiteError):
    code = 501
    fault_name = 'notImplemented'
    message = 'This operation is not supported.'


class ServiceUnavailable(TroveLiteError):
    code = 503
    fault_name = 'serviceUnavailable'
    message = 'The service is unavailable right now; try again shortly.'


class NoValidHost(ServiceUnavailable):
    message = ('No valid host was found: no live taskmanager host has room '
               'for a new instance.')


# Errors of the services behind the API (never shown raw to users).

class ComputeError(TroveLiteError):
    code = 500
    fault_name = 'serverError'
    message = 'Compute error: %(reason)s'


class ServerBuildError(ComputeError):
    message = 'Server could not be created: %(reason)s'


class GuestPrepareError(TroveLiteError):
    code = 500
    fault_name = 'serverError'
    message = 'The guest failed to prepare its datastore: %(reason)s'


class DatastoreOperationError(TroveLiteError):
    code = 500
    fault_name = 'serverError'
    message = 'Datastore operation failed: %(reason)s'


# Errors of the backup storage (trove_lite.storage).

class StorageError(TroveLiteError):
    """The backup storage failed; ``reason`` says how."""

    code = 500
    fault_name = 'serverError'
    message = 'Backup storage error: %(reason)s'


class StorageUnavailable(StorageError):
    code = 503
    fault_name = 'serviceUnavailable'
    message = 'Backup storage is unavailable: %(reason)s'


class StorageIntegrityError(StorageError):
    message = 'Stored object %(location)s is damaged: %(reason)s'


class StorageKeyError(StorageError):
    message = 'Stored object %(location)s cannot be decrypted: %(reason)s'


class StorageInvalidName(BadRequest):
    message = 'Invalid storage %(kind)s name %(name)r: %(reason)s'


class StorageAccessDenied(Forbidden):
    message = 'Location %(location)s is outside this project\'s storage.'


class StorageObjectNotFound(NotFound):
    message = 'Object %(location)s cannot be found in backup storage.'
