"""Settings for the launch benchmark: the test settings, production-like debug off, plus the reference routes.

``DATABASE_URL`` names the scratch database the benchmark created; ``ACCOLADE_BENCH_PUBLIC_URL`` is the
tool's public URL (``http://testserver`` for Django's test client, the gunicorn address over HTTP);
``ACCOLADE_BENCH_REFERENCE`` holds the pylti1p3 reference's tool configuration (see lti_reference.py);
``ACCOLADE_BENCH_CONN_MAX_AGE`` (``--conn-max-age``) keeps database connections across requests.
"""

import os

from settings.test import *  # noqa: F403
from settings.test import ACCOLADE, DATABASES

DEBUG = False  # as deployed: no SQL log kept per query, cached templates
ROOT_URLCONF = "benchmarks.lti_urls"
ACCOLADE = {**ACCOLADE, "PUBLIC_URL": os.environ.get("ACCOLADE_BENCH_PUBLIC_URL", "http://testserver")}
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
if os.environ.get("ACCOLADE_BENCH_CONN_MAX_AGE"):  # lti_launch.py --conn-max-age: the settings leave SQLite at 0
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["ACCOLADE_BENCH_CONN_MAX_AGE"])
