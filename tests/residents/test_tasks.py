"""The residents' daily jobs: registered with the queue's periodic scheduler, and doing their upkeep when run."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from procrastinate.contrib.django import app

from residents import tasks
from residents.follow.services import subscription_request
from residents.models import Report, Subscription
from residents.reports.services import report_file
from tests.factories import planner
from tests.residents.conftest import queued_mails


def test_the_daily_jobs_are_periodic_tasks_of_the_queue():
    schedule = {name: periodic.cron for (name, _key), periodic in app.periodic_registry.periodic_tasks.items()}
    assert schedule["residents.subscriptions_prune"] == "30 3 * * *"
    assert schedule["residents.reports_upkeep"] == "0 7 * * *"


def test_the_daily_jobs_prune_subscriptions_and_flag_overdue_reports(world):
    subscription_request(email="alt@example.org", target=world.a1, language="de")
    Subscription.objects.update(created_at=timezone.now() - timedelta(days=5))
    city_planner = planner()
    city_planner.email = "planung@stadt.example"
    city_planner.save()
    report, _token = report_file(category="other", text="x", address=world.a1, provider=None, language="de")
    Report.objects.filter(pk=report.pk).update(due_at=timezone.now() - timedelta(days=1))
    before = len(queued_mails())
    tasks.subscriptions_prune(timestamp=0)
    tasks.reports_upkeep(timestamp=0)
    assert not Subscription.objects.exists()
    assert Report.objects.get().overdue_notified_at is not None
    assert [m["subject"] for m in queued_mails()[before:]] == [
        "Frist abgelaufen: Meldung zu Schloßstraße 1, 45468 Mülheim an der Ruhr"
    ]
