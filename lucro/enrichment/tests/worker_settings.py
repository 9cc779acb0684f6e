"""Settings for worker subprocesses started by the tests: the test database, a test queue."""

import os

# Through the environment, before the settings read it: the housekeeping and webhooks queues
# and their routes derive from the work queue exactly as in a deployment that sets CELERY_QUEUE.
if os.environ.get("LUCRO_TEST_QUEUE"):
    os.environ["CELERY_QUEUE"] = os.environ["LUCRO_TEST_QUEUE"]
    os.environ.pop("CELERY_HOUSEKEEPING_QUEUE", None)
    os.environ.pop("CELERY_WEBHOOKS_QUEUE", None)

from config.settings import *  # noqa: F403
from config.settings import DATABASES

if os.environ.get("LUCRO_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LUCRO_TEST_DB_NAME"]
