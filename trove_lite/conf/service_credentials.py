"""Credentials trove-lite uses towards Keystone, Nova, Cinder and Neutron
([service_credentials], Trove's names)."""

from oslo_config import cfg

service_credentials_group = cfg.OptGroup(
    'service_credentials', title='Service credentials',
    help='The service user the nova compute driver acts as; servers, '
         'volumes and security groups live in its project, out of the '
         'tenants\' sight.')

service_credentials_opts = [
    cfg.URIOpt('auth_url',
               help='Keystone URL (with or without /v3; the version is '
                    'discovered).'),
    cfg.StrOpt('username', default='', help='Service user name.'),
    cfg.StrOpt('password', default='', secret=True,
               help='Service user password.'),
    cfg.StrOpt('project_id', default='',
               help='Service project ID (wins over project_name).'),
    cfg.StrOpt('project_name', default='', help='Service project name.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Keystone domain of the service user.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Keystone domain of the service project.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region whose endpoints are used.'),
]


def register_opts(conf):
    conf.register_group(service_credentials_group)
    conf.register_opts(service_credentials_opts,
                       group=service_credentials_group)


def list_opts():
    return [(service_credentials_group, service_credentials_opts)]
