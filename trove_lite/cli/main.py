"""trove-lite: the user CLI (cliff, like python-openstackclient)."""

import os
import sys

from cliff import app
from cliff import commandmanager

from trove_lite.cli import client as api_client


class TroveLiteApp(app.App):
    """Manage database instances on trove-lite."""

    def __init__(self):
        super().__init__(
            description=__doc__.strip(), version='0.1.0',
            command_manager=commandmanager.CommandManager('trove_lite.cli'),
            deferred_help=True)
        self._client = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
        parser.add_argument(
            '--url', default=os.environ.get('TROVE_LITE_URL',
                                            api_client.DEFAULT_URL),
            help='API endpoint (env TROVE_LITE_URL; default %(default)s).')
        parser.add_argument(
            '--os-project-id', default=os.environ.get('OS_PROJECT_ID'),
            help='Project to act in (env OS_PROJECT_ID).')
        parser.add_argument(
            '--os-token', default=os.environ.get('OS_TOKEN'),
            help='Keystone token to send (env OS_TOKEN).')
        return parser

    @property
    def client(self):
        if self._client is None:
            self._client = api_client.Client(
                api_client.endpoint(self.options.url,
                                    self.options.os_project_id),
                token=self.options.os_token)
        return self._client


def main(argv=None):
    return TroveLiteApp().run(sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
