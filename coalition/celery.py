import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")

app = Celery("coalition")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's ``tasks`` module, and those of the subpackages that own background work.
app.autodiscover_tasks()
app.autodiscover_tasks(
    ["coalition.outbox", "members.enquiries", "members.imports", "members.dues", "members.climate"]
)
