"""A deployment spread over several "hosts" on this machine: the base
stack's services run as host ``host-a``, and more taskmanagers,
conductors and API processes join with hosts (and API ports) of their
own, against the same broker vhost and database."""

import configparser
import os
import subprocess
import sys
import textwrap

from tests.functional import stack as stack_module

BASE_HOST = 'host-a'


class MultiHostStack(stack_module.Stack):
    """A Stack whose services can also run on more hosts."""

    def __init__(self, base_dir, overrides=None, **kwargs):
        overrides = dict(overrides or {})
        # Heartbeats often enough that a test sees a silent service down
        # within seconds.
        overrides['DEFAULT'] = dict(
            {'service_report_interval': '1', 'service_down_time': '5'},
            **overrides.get('DEFAULT', {}), host=BASE_HOST)
        super().__init__(base_dir, overrides=overrides, **kwargs)
        self.extra = []

    def start_on(self, service, host, sections=None, **options):
        """Start ``service`` as ``host`` with ``options`` ([DEFAULT]) and
        ``sections`` ({group: {option: value}}) on top of the stack's
        config; its name in ``processes``. An API gets a port of its own:
        ``api_url(host)``."""
        name = f'{service}@{host}'
        values = {'host': host, **options}
        if service == 'api':
            values.setdefault('bind_port', str(stack_module.free_port()))
        parser = configparser.ConfigParser(interpolation=None)
        for key, value in values.items():
            parser.set('DEFAULT', key, str(value))
        for section, section_values in (sections or {}).items():
            parser.add_section(section)
            for key, value in section_values.items():
                parser.set(section, key, str(value))
        path = os.path.join(self.base_dir, f'{name}.conf')
        with open(path, 'w') as out:
            parser.write(out)
        log = open(os.path.join(self.log_dir, f'{name}.log'), 'ab')
        self.processes[name] = subprocess.Popen(
            [sys.executable, '-m', f'trove_lite.cmd.{service}',
             '--config-file', self.config_file, '--config-file', path],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        self.extra.append(name)
        if service == 'api':
            self._ports = getattr(self, '_ports', {})
            self._ports[host] = values['bind_port']
            stack_module.wait_until(self._api_answers(host), timeout=30)
        return name

    def _api_answers(self, host):
        import requests

        def answers():
            try:
                return requests.get(self.api_url(host), timeout=2).ok
            except requests.RequestException:
                return False
        return answers

    def api_url(self, host):
        return f'http://127.0.0.1:{self._ports[host]}'

    def api_on(self, host, project='demo'):
        """A client of the API process of ``host``."""
        return stack_module.APIClient(
            f'{self.api_url(host)}/v1.0/{project}')

    def stop_extra(self, name, **kwargs):
        self.stop_service(name, **kwargs)
        if name in self.extra:
            self.extra.remove(name)

    def teardown(self):
        for name in list(self.extra):
            self.stop_extra(name)
        super().teardown()

    def service_list(self):
        """``trove-lite-manage service list`` as rows of cells."""
        lines = self.manage('service', 'list').splitlines()
        return [[cell.strip() for cell in line.split('|')[1:-1]]
                for line in lines[3:-1]]

    def casts(self, topic, sealed_as, casts):
        """Send ``casts`` — ``(server, method, kwargs)`` — in this order
        from one process, sealed as the guest of ``sealed_as``."""
        code = textwrap.dedent(f'''
            import oslo_messaging as messaging
            import trove_lite.cmd
            from trove_lite.common import context, rpc, sealing, service
            service.prepare_service(['x', '--config-file',
                                     {self.config_file!r}])
            envelopes = sealing.Envelopes({self.instance_key(sealed_as)!r},
                                          {sealed_as!r})
            ctxt = context.get_admin_context()
            for server, method, kwargs in {casts!r}:
                client = rpc.get_client(
                    messaging.Target(topic={topic!r}, server=server),
                    serializer=messaging.NoOpSerializer())
                wire, _ = envelopes.seal(ctxt, method, kwargs, False)
                client.prepare().cast(wire, method)
            rpc.cleanup()
        ''')
        subprocess.run([sys.executable, '-c', code], check=True, timeout=120,
                       capture_output=True, text=True)
