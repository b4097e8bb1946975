"""A bare Pecan app serving one canned JSON document, run under the same
gunicorn settings as trove-lite-api: the baseline of api_throughput.py.

    python -m benchmarks.bare_pecan --config-file FILE BODY_FILE [--cached]
"""

import json
import sys

import pecan
from pecan import rest

from trove_lite.cmd import api as api_cmd
from trove_lite.common import config

BODY = {}


class Instances(rest.RestController):
    @pecan.expose('json')
    def get_all(self):
        return BODY


class Project:
    instances = Instances()


class V1(rest.RestController):
    @pecan.expose()
    def _lookup(self, project_id, *remainder):
        return Project(), remainder


class Root:
    pass


pecan.route(Root, 'v1.0', V1())


class BareServer(api_cmd.APIServer):
    def load(self):
        return pecan.make_app(Root(), force_canonical=False,
                              guess_content_type_from_ext=False)


def main():
    body_file = sys.argv.pop()
    cached = '--cached' in sys.argv
    if cached:
        sys.argv.remove('--cached')
        from trove_lite.api import pecan_speedup
        pecan_speedup.install()
    with open(body_file) as source:
        BODY.update(json.load(source))
    config.parse_args(sys.argv)
    BareServer(sys.argv).run()


if __name__ == '__main__':
    main()
