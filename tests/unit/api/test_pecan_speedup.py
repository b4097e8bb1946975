"""What trove_lite.api.pecan_speedup spares Pecan, answering as Pecan
would for trove-lite's application (request in thread locals)."""

import pecan
import pecan.rest

from trove_lite.api import pecan_speedup


class Things(pecan.rest.RestController):

    @pecan.expose()
    def get_one(self, thing_id, detail=None):
        return thing_id


def test_a_controllers_arguments_are_those_after_self_without_a_request():
    # Pecan itself would look for the thread-local request here and,
    # outside one, strip three arguments (``self, req, resp``).
    pecan_speedup.install()
    things = Things()
    assert things._get_args_for_controller(things.get_one) == [
        'thing_id', 'detail']
