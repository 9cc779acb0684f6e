"""Settings for worker subprocesses started by the tests: the test database, a test queue."""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES

if os.environ.get("LUCRO_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LUCRO_TEST_DB_NAME"]
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("LUCRO_TEST_QUEUE", "celery")
