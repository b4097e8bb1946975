"""Console scripts. Every service runs oslo.messaging's threading executor
and never eventlet, and importing this package makes that so before
anything of oslo is loaded: oslo.service takes its threading backend, and
eventlet, which oslo.service, oslo.utils and futurist load only when it is
installed, is kept out of the process. That spares every process (a guest
agent's, of which a host runs hundreds, most of all) eventlet's and
asyncio's modules: memory, and start-up time."""

import sys

# None in sys.modules makes `import eventlet` raise ImportError, which
# every library that may use it takes as "not installed".
sys.modules.setdefault('eventlet', None)

from oslo_service import backend  # noqa: E402

# The default, not a selection: a process that selected a backend first
# (a test run that loaded oslo.messaging before this package) keeps it.
backend.register_backend_default_hook(lambda: backend.BackendType.THREADING)
