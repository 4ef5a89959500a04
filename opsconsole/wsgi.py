import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from opsconsole.core.wsgi import BodyDeadline

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsconsole.settings")
application = BodyDeadline(get_wsgi_application(), seconds=lambda: settings.REQUEST_BODY_SECONDS)
