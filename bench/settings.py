"""The project's settings, with the collected static files kept in the run's
work directory (STATIC_ROOT is not configurable from the environment).

With DEBUG off, as in production, the URLconf that Celery's start-up checks
import needs a static files manifest; the harness runs collectstatic into
BENCH_STATIC_ROOT instead of the shared staticfiles/ folder.
"""

import os

from factcheck.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
