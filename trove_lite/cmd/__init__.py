"""Console scripts. Importing this package silences a deprecation warning
oslo.service prints on import when eventlet is installed (we never use
eventlet: every service runs oslo.messaging's threading executor)."""

import os
import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

# eventlet (imported, never used, by oslo.service through oslo.messaging)
# loads dnspython for its green DNS at import: 0.4 s of every start-up.
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')
