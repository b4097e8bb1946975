"""Process start-up: parse the config files and set up logging."""

import logging as std_logging

from oslo_log import log as logging

from trove_lite.conf import CONF


def parse_args(argv, default_config_files=None):
    """Parse config and set up logging; call once at process start."""
    logging.register_options(CONF)
    CONF(argv[1:], project='trove-lite',
         default_config_files=default_config_files)
    logging.setup(CONF, 'trove-lite')
    std_logging.getLogger('oslo.messaging').setLevel(
        std_logging.DEBUG if CONF.debug else std_logging.WARNING)
