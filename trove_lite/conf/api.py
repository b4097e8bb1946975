"""Options of the REST API service."""

from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('bind_port', default=8779, help='Port the API listens on.'),
    cfg.IntOpt('api_worker_threads', default=8, min=1,
               help='Threads per API worker process. A read is CPU-bound; '
                    'a create spends most of its time waiting for the '
                    'database\'s commits and the broker\'s confirms, which '
                    'threads overlap (a burst of 100 creates: POST p99 '
                    '2.3 s with 4, 1.7 s with 8; reads alike).'),
    cfg.IntOpt('trove_api_workers', default=2, min=1,
               help='Number of API worker processes.'),
    cfg.StrOpt('public_endpoint',
               help='Base URL shown in version documents instead of the '
                    'request URL.'),
    cfg.StrOpt('auth_strategy', default='noauth',
               choices=[('noauth', 'project from the URL (or X-Project-Id), '
                                   'no token check'),
                        ('keystone', 'keystonemiddleware auth_token')],
               help='How API requests are authenticated.'),
    cfg.IntOpt('api_guest_call_timeout', default=8, min=1,
               help='Most seconds an API request waits for a guest\'s '
                    'answer (any call, whatever its agent_call_*_timeout): '
                    'then it answers with the guest timeout fault and its '
                    'thread serves others. Work that takes longer is a '
                    'task of the taskmanager, with a status.'),
    cfg.IntOpt('api_guest_calls_per_project', default=2, min=1,
               help='Most API requests waiting on the guests of one '
                    'project at a time, across every API worker and host '
                    '(counted in the database); more get 413 overLimit '
                    'with Retry-After, so one project\'s slow or hostile '
                    'guests cannot take every request thread. Keep it '
                    'below api_worker_threads.'),
    cfg.IntOpt('max_request_body_size', default=114688, min=1,
               help='Largest request body in bytes; larger ones get 413.'),
    cfg.IntOpt('instances_page_size', default=20, min=1,
               help='Most instances returned in one page.'),
    cfg.IntOpt('databases_page_size', default=20, min=1,
               help='Most databases returned in one page.'),
    cfg.IntOpt('users_page_size', default=20, min=1,
               help='Most users returned in one page.'),
    cfg.IntOpt('configurations_page_size', default=20, min=1,
               help='Most configuration groups returned in one page.'),
    cfg.IntOpt('backups_page_size', default=20, min=1,
               help='Most backups returned in one page.'),
]


def register_opts(conf):
    conf.register_opts(api_opts)


def list_opts():
    return [('DEFAULT', api_opts)]
