"""Mail through the real task queue: deferred in the caller's transaction, sent by the real worker over SMTP."""

from __future__ import annotations

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from geoportal.errors import InvalidInputError
from geoportal.mail import mail_enqueue

pytestmark = pytest.mark.slow


class Rollback(Exception):
    pass


def test_a_committed_mail_reaches_the_smtp_server_through_the_worker(transactional_db, task_worker, outbox):
    with transaction.atomic():
        mail_enqueue(
            to=["anwohnerin@example.org"],
            subject="Bitte bestätigen Sie Ihr Abo",
            text="Hallo,\nbitte bestätigen.",
            html="<p>Hallo, bitte <b>bestätigen</b>.</p>",
            headers={
                "List-Unsubscribe": "<https://example.org/abmelden/x/>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    message = outbox.wait_for(lambda m: m["Subject"] == "Bitte bestätigen Sie Ihr Abo")
    assert message["To"] == "anwohnerin@example.org"
    assert message["List-Unsubscribe"] == "<https://example.org/abmelden/x/>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "bitte bestätigen" in message.get_body(preferencelist=("plain",)).get_content()
    assert "<b>bestätigen</b>" in message.get_body(preferencelist=("html",)).get_content()


def test_a_rolled_back_mail_is_never_queued_nor_sent(transactional_db, task_worker, outbox):
    def queue_then_fail() -> None:
        with transaction.atomic():
            mail_enqueue(to=["niemand@example.org"], subject="Nie gesendet", text="-")
            raise Rollback

    with pytest.raises(Rollback):
        queue_then_fail()
    assert not ProcrastinateJob.objects.filter(task_name="geoportal.mail_send", args__subject="Nie gesendet").exists()
    with transaction.atomic():
        mail_enqueue(to=["jemand@example.org"], subject="Gesendet", text="-")
    outbox.wait_for(lambda m: m["Subject"] == "Gesendet")
    assert [m["Subject"] for m in outbox.messages] == ["Gesendet"]


@pytest.mark.parametrize(
    ("to", "subject"),
    [(["kein-at-zeichen"], "Betreff"), (["a@example.org", "b@"], "Betreff"), (["a@example.org"], "Zwei\nZeilen")],
)
def test_mail_enqueue_refuses_what_cannot_be_a_message(db, to, subject):
    with pytest.raises(InvalidInputError):
        mail_enqueue(to=to, subject=subject, text="-")
    assert list(ProcrastinateJob.objects.values_list("task_name", "status", "args")) == []
