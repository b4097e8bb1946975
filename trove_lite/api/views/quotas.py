"""JSON shapes of quotas (``/mgmt/quotas``) and limits (``/limits``)."""

import datetime


def quota_usages(usages):
    """GET /mgmt/quotas/{project}: a list, one item per resource.
    ``reserved`` is always 0: usage is taken in the transaction that
    creates the resource, so nothing is ever reserved apart."""
    return {'quotas': [{'resource': resource, 'in_use': in_use,
                        'reserved': 0, 'limit': limit}
                       for resource, in_use, limit in usages]}


def quota_limits(limits):
    """PUT /mgmt/quotas/{project}: a dict of the limits just set."""
    return {'quotas': dict(limits)}


def _next_available(epoch):
    moment = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def limits(absolute, rates):
    """GET /limits: the absolute limits first (clients pop element 0),
    then one item per rate limit (ratelimit.Limiter.status())."""
    absolute_view = {'verb': 'ABSOLUTE'}
    absolute_view.update((f'max_{resource}', limit)
                         for resource, limit in absolute.items())
    rate_views = [{
        'nextAvailable': _next_available(rate['next_available']),
        'remaining': rate['remaining'],
        'unit': rate['limit'].unit_name,
        'value': rate['limit'].value,
        'verb': rate['limit'].verb,
        'uri': rate['limit'].uri,
        'regex': rate['limit'].regex,
    } for rate in rates]
    return {'limits': [absolute_view] + rate_views}
