"""Quota defaults and API rate limits (Trove's option names, DEFAULT)."""

from oslo_config import cfg

quota_opts = [
    cfg.IntOpt('max_instances_per_tenant', default=10, min=-1,
               help='Default number of instances a project may have '
                    '(-1: unlimited).'),
    cfg.IntOpt('max_ram_per_tenant', default=-1, min=-1,
               help='Default total flavor RAM in MB a project\'s instances '
                    'may have (-1: unlimited).'),
    cfg.IntOpt('max_volumes_per_tenant', default=40, min=-1,
               help='Default total volume size in GB a project\'s '
                    'instances may have (-1: unlimited).'),
    cfg.IntOpt('max_backups_per_tenant', default=50, min=-1,
               help='Default number of backups a project may have '
                    '(-1: unlimited).'),
]

rate_limit_opts = [
    cfg.IntOpt('http_get_rate', default=200, min=1,
               help='GET requests a project may make per minute.'),
    cfg.IntOpt('http_post_rate', default=200, min=1,
               help='POST requests a project may make per minute.'),
    cfg.IntOpt('http_put_rate', default=200, min=1,
               help='PUT requests a project may make per minute.'),
    cfg.IntOpt('http_delete_rate', default=200, min=1,
               help='DELETE requests a project may make per minute.'),
    cfg.IntOpt('http_mgmt_post_rate', default=200, min=1,
               help='POST requests to /mgmt a project may make per minute '
                    '(on top of http_post_rate).'),
]


def register_opts(conf):
    conf.register_opts(quota_opts)
    conf.register_opts(rate_limit_opts)


def list_opts():
    return [('DEFAULT', quota_opts + rate_limit_opts)]
