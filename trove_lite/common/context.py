"""The request context that travels with every API request and RPC message."""

from oslo_context import context


class _AllProjects:
    """The scope of a lookup that spans every project: named, so a
    missing project (None, '') can never be taken for it."""

    def __repr__(self):
        return 'ALL_PROJECTS'


ALL_PROJECTS = _AllProjects()


class RequestContext(context.RequestContext):
    """oslo.context's context plus Trove's pagination fields."""

    def __init__(self, limit=None, marker=None, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit
        self.marker = marker
        # Set by sealing.EnvelopeSerializer, never sent: the opened
        # envelope of the message this context came in and the instance
        # whose key opened it, or that it did not open.
        self.envelope = None
        self.sealed_by = None
        self.broken_seal = False

    def to_policy_values(self):
        # Trove's "admin" rule also accepts "is_admin:True".
        return dict(super().to_policy_values(), is_admin=self.is_admin)

    def to_dict(self):
        values = super().to_dict()
        values.update(limit=self.limit, marker=self.marker)
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('limit', values.get('limit'))
        kwargs.setdefault('marker', values.get('marker'))
        return super().from_dict(values, **kwargs)


def get_admin_context():
    """A context for work the services do on their own behalf."""
    return RequestContext(is_admin=True, overwrite=False)
