"""Test settings: the app's own, plus templates that fail on a missing variable.

django-fastdev makes ``{{ missing }}`` and ``{% if missing.attr %}`` raise
instead of rendering as empty, so a typo in a template (a property that does
not exist) fails the test that renders it instead of silently hiding a part
of the page. Only the project's templates are checked; Django admin's own are
left as Django ships them.
"""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_fastdev"]  # noqa: F405
FASTDEV_STRICT_IF = True
FASTDEV_STRICT_TEMPLATE_CHECKING = False
# Templates shipped by installed packages (Django admin's) are theirs to keep, and so are
# the admin pages that extend them: Django's admin base reads optional variables.
FASTDEV_IGNORED_TEMPLATES = [r".*/site-packages/.*", r".*/templates/admin/.*"]
