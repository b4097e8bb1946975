"""Where the API spends its time: cProfile around the WSGI application.

Starts an isolated stack (as the functional tests do) and seeds it as
``upstream_side_by_side.py`` does (``--instances`` rows in one project, an
empty one), then in this process loads the same application the API
serves (``trove_lite.api.app.load_app`` with the stack's configuration),
sends it ``--requests`` requests of each kind (an empty list, the full
list's first page, a show, the datastore list) without a server in
between, and prints, per kind, the time per request and the profile's
top lines by own time and by cumulative time.

    python benchmarks/api_profile.py [--requests 2000] [--top 15]
"""

import argparse
import cProfile
import io
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


def top_lines(profiler, order, count):
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(order).print_stats(count)
    text = out.getvalue()
    return text[text.index('ncalls'):].rstrip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--top', type=int, default=15)
    args = parser.parse_args()

    base = tempfile.mkdtemp(prefix='tl-bench-profile-')
    deployment = stack_module.Stack(base, overrides={'DEFAULT': {
        'debug': 'false', **side.NO_RATE_LIMITS}})
    try:
        deployment.setup()
        show_id = side.seed_lite(deployment, args.instances)
        os.environ['TROVE_LITE_CONFIG'] = deployment.config_file
        from trove_lite.api import app
        application = app.load_app()
        for label, path in requests_of(show_id):
            per_request, profiler = profile(application, path,
                                            args.requests)
            calls = pstats.Stats(profiler).total_calls / args.requests
            print(f'\n=== {label}: {per_request * 1e3:.3f} ms per request '
                  f'in process ({1 / per_request:.0f}/s), {calls:,.0f} '
                  'Python calls per request; its profile:')
            print(top_lines(profiler, 'tottime', args.top))
            print(top_lines(profiler, 'cumulative', args.top))
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == '__main__':
    main()
