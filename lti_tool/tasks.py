"""Celery at scale (``ACCOLADE_TASKS=celery``): ``celery -A lti_tool.tasks worker --beat``.

Thin wrappers over :mod:`lti_tool.background`. The broker comes from ``CELERY_BROKER_URL`` (Redis
``redis://host:6379/0`` or RabbitMQ ``amqp://user:pass@host:5672//``); beat sends the sweep that
finds due work whatever happened to the wake-up messages, so a lost message or a restarted broker
only delays work.
"""

from __future__ import annotations

import os

import django
from celery import Celery
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.base")
if not apps.ready:  # started by the celery command rather than imported by Django
    django.setup()

from .background import run_due_work

app = Celery("accolade")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="lti_tool.run_due_work", acks_late=True, ignore_result=True)
def run_due_work_task() -> dict[str, int]:
    """Run the work that is due; the rows are the record, so a repeated task only finds less to do."""
    return run_due_work()
