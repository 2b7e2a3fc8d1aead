"""Settings for the test suite: the development environment, stated explicitly.

DEBUG and the sandbox are on unless the environment says otherwise; the real settings then load
as usual. The defaults are taken out of os.environ again afterwards, so the subprocesses that tests
start get only what each test gives them.
"""

import os

DEVELOPMENT_DEFAULTS = {"DEBUG": "true", "VOLC_SANDBOX_ENABLED": "true"}

_added = {name: value for name, value in DEVELOPMENT_DEFAULTS.items() if name not in os.environ}
os.environ.update(_added)
try:
    from portal.settings import *  # noqa: F403
finally:
    for _name in _added:
        del os.environ[_name]
