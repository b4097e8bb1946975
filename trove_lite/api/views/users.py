"""JSON shapes of an instance's users and their access (Trove's UserView,
UsersView, UserAccessView). No password is ever part of them."""

from trove_lite.api.views import databases as database_views


def user(spec):
    return {'name': spec.name, 'host': spec.host,
            'databases': [{'name': name} for name in spec.databases]}


def users(specs):
    return {'users': [user(spec) for spec in specs]}


def access(database_specs):
    return database_views.databases(database_specs)
