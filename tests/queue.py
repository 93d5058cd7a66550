"""The real task queue in tests: procrastinate's worker as a separate process, and a real SMTP server it sends to.

``task_worker`` starts ``manage.py procrastinate worker`` (scripts/worker.sh's command) on the test database with
``EMAIL_HOST`` pointing at ``smtp_server`` (aiosmtpd on loopback) and ``SITE_URL`` at the live server, so a test
sees exactly what a resident's inbox would: messages the worker took from the queue and sent over SMTP. Tests that
use it need committed data (``transactional_db``): the worker has its own connection.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server received, as parsed messages, in order of arrival."""

    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler API
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, predicate=lambda m: True, *, timeout: float = 30.0) -> EmailMessage:
        """The first message (arrived or arriving within ``timeout`` s) that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [m["Subject"] for m in self.messages]
                    raise AssertionError(f"no such message within {timeout} s; received: {subjects}")
                self.arrived.wait(left)

    def clear(self) -> None:
        with self.arrived:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def outbox(smtp_server) -> Inbox:
    """The SMTP server's inbox, emptied for this test."""
    inbox, _port = smtp_server
    inbox.clear()
    return inbox


def _test_database_url() -> str:
    from django.db import connection

    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def task_worker(django_db_setup, django_db_blocker, smtp_server, live_server, tmp_path_factory):
    """The queue's worker on the test database, sending mail to ``smtp_server``; started once per session."""
    from django.db import connection

    _inbox, port = smtp_server
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Jobs left by earlier transactional tests (procrastinate's tables are not flushed between tests).
        cursor.execute("DELETE FROM procrastinate_jobs")
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "SITE_URL": live_server.url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "worker-test",
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "DATABASE_POOL_SIZE": "0",
    }
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--concurrency", "2"]
    command += ["--delete-jobs", "successful"]
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(process=process, log=log)
    deadline = time.monotonic() + 60
    while "Starting worker" not in worker.output():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the worker did not start:\n{worker.output()}")
        time.sleep(0.1)
    yield worker
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
