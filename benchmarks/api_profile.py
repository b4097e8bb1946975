"""Where the API spends its time: cProfile around the WSGI application.

Starts an isolated stack (as the functional tests do) and seeds it as
``upstream_side_by_side.py`` does (``--instances`` rows in one project, an
empty one), then in this process loads the same application the API
serves (``trove_lite.api.app.load_app`` with the stack's configuration),
sends it ``--requests`` requests of each kind (an empty list, the full
list's first page, a show, the datastore list) without a server in
between, and prints, per kind, the time per request and the profile's
top lines by own time and by cumulative time.

With ``--creates N`` it profiles N creates (POST /instances) instead, with
the taskmanager stopped (nothing is built; the builds' requests wait in
its queue): the API's own CPU per create, which a burst of creates
queues on.

    python benchmarks/api_profile.py [--requests 2000] [--top 15]
    python benchmarks/api_profile.py --creates 200
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import upstream_side_by_side as side  # noqa: E402
from tests.functional import stack as stack_module  # noqa: E402


def requests_of(show_id):
    return [
        ('GET /instances, empty project', f'/v1.0/{side.EMPTY}/instances'),
        ('GET /instances, full project', f'/v1.0/{side.PROJECT}/instances'),
        ('GET /instances/{id}',
         f'/v1.0/{side.PROJECT}/instances/{show_id}'),
        ('GET /datastores', f'/v1.0/{side.PROJECT}/datastores'),
    ]


def profile(application, path, count):
    import webob
    for _ in range(50):  # warm caches, pools and leases
        assert webob.Request.blank(path).get_response(
            application).status_int == 200
    started = time.perf_counter()
    for _ in range(count):
        webob.Request.blank(path).get_response(application)
    elapsed = time.perf_counter() - started
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        response = webob.Request.blank(path).get_response(application)
    profiler.disable()
    assert response.status_int == 200, response.body
    return elapsed / count, profiler


CREATE_BODY = {'instance': {'name': 'profiled', 'flavorRef': '1',
                             'volume': {'size': 1},
                             'datastore': {'type': 'mariadb'}}}


def profile_creates(application, project, count):
    """(CPU seconds per create unprofiled, the profile of ``count`` more);
    every create must be accepted."""
    import webob

    def create():
        request = webob.Request.blank(f'/v1.0/{project}/instances',
                                      method='POST',
                                      content_type='application/json',
                                      body=json.dumps(CREATE_BODY).encode())
        response = request.get_response(application)
        assert response.status_int == 200, response.body
    for _ in range(10):  # warm caches and pools
        create()
    started = time.process_time()
    for _ in range(count):
        create()
    per_create = (time.process_time() - started) / count
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        create()
    profiler.disable()
    return per_create, profiler


def top_lines(profiler, order, count):
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(order).print_stats(count)
    text = out.getvalue()
    return text[text.index('ncalls'):].rstrip()


def report(heading, profiler, count, top):
    """Print ``heading`` with the calls per request, then the profile's
    top lines by own and by cumulative time."""
    calls = pstats.Stats(profiler).total_calls / count
    print(f'\n=== {heading}, {calls:,.0f} Python calls per request; its '
          'profile:')
    print(top_lines(profiler, 'tottime', top))
    print(top_lines(profiler, 'cumulative', top))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--creates', type=int, default=0,
                        help='profile this many creates instead')
    args = parser.parse_args()

    options = {'debug': 'false', **side.NO_RATE_LIMITS}
    if args.creates:
        # Quota room for the warm-up's creates and the profiled ones.
        room = str(2 * args.creates + 10)
        options.update(max_instances_per_tenant=room,
                       max_volumes_per_tenant=room)
    base = tempfile.mkdtemp(prefix='tl-bench-profile-')
    deployment = stack_module.Stack(base, overrides={'DEFAULT': options})
    try:
        deployment.setup()
        if args.creates:
            deployment.stop_service('taskmanager')
        else:
            show_id = side.seed_lite(deployment, args.instances)
        os.environ['TROVE_LITE_CONFIG'] = deployment.config_file
        from trove_lite.api import app
        application = app.load_app()
        if args.creates:
            per_create, profiler = profile_creates(application, 'creates',
                                                   args.creates)
            report(f'POST /instances: {per_create * 1e3:.1f} ms of CPU per '
                   'create in process', profiler, args.creates, args.top)
            return
        for label, path in requests_of(show_id):
            per_request, profiler = profile(application, path,
                                            args.requests)
            report(f'{label}: {per_request * 1e3:.3f} ms per request in '
                   f'process ({1 / per_request:.0f}/s)', profiler,
                   args.requests, args.top)
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == '__main__':
    main()
