"""With a broker, webhooks and e-mail leave through a real Celery worker process (Redis on
127.0.0.1): the web process hands the work over and sends nothing itself. The worker alone
knows the SMTP server; the web process's SMTP_URL points where nothing listens, so a mail
sent from the web process would fail instead of arriving."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from market.db import unit_of_work
from market.mail.models import OutboxEmail
from market.notifications.webhook_models import WebhookDelivery
from tests.market.conftest import WORKER, celery, stop
from tests.ports import free_port
from tests.market.smtp_server import SmtpServer

BROKER_DB = 15  # emptied by the broker_url fixture; test_celery_jobs uses it too, never at the same time


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def celery_worker(app, broker_url, smtp, tmp_path):
    """A worker process with the SMTP server and the 127.0.0.1 webhook allow-list."""
    process = celery(app, broker_url, tmp_path, *WORKER, env={
        "SMTP_URL": smtp.url, "SMTP_TIMEOUT_S": "5",
        "WEBHOOK_REQUIRE_HTTPS": "0", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "IN_PROCESS_SCHEDULER": "0"})
    yield process
    stop(process)


def _wait(predicate, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_a_webhook_and_a_mail_are_delivered_by_the_celery_worker(app, hooks, api, client, owner, receiver, smtp,
                                                               broker_url, celery_worker):
    endpoint = api(owner).post("/api/v1/webhooks", json={"url": receiver.url, "kinds": ["order.shipped"]})
    assert endpoint.status_code == 201, endpoint.get_json()
    app.config.update(CELERY_BROKER_URL=broker_url, WEBHOOK_DISPATCH="background",
                      SMTP_URL=f"smtp://127.0.0.1:{free_port()}", SMTP_TIMEOUT_S=2)

    assert api(owner).post(f"/api/v1/webhooks/{endpoint.get_json()['id']}/test").status_code == 202
    client.post("/password/forgot", data={"email": owner.email})

    assert _wait(lambda: receiver.requests, timeout=90), celery_worker.poll()
    [hook] = receiver.requests
    assert hook.json()["type"] == "webhook.test" and hook.headers["webhook-signature"].startswith("v1,")
    mails = _wait(lambda: smtp.mailbox.to(owner.email), timeout=90)
    assert [m["Subject"] for m in mails] == ["Reset your password"]
    assert "/password/reset?token=" in mails[0].get_body(("plain",)).get_content()

    def recorded():  # the worker commits the outcome after the receiver answered
        with app.app_context(), unit_of_work() as s:
            mail = s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == owner.email)
                             .order_by(OutboxEmail.id.desc())).first()
            return (s.scalar(select(WebhookDelivery.status)), mail.status, mail.attempts)

    assert _wait(lambda: recorded() == ("delivered", "sent", 1), timeout=30), recorded()
    # nothing was sent from the web process: no webhook thread, no job thread was started
    assert app.extensions.get("webhook_dispatch") is None and app.extensions["jobs"] is None
    assert celery_worker.poll() is None
