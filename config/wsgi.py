import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from lucro.core.wsgi import (  # noqa: E402 - needs settings configured
    CharsetGuardMiddleware,
    ChunkedBodyMiddleware,
)

application = CharsetGuardMiddleware(ChunkedBodyMiddleware(django_application))
