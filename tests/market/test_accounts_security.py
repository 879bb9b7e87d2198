"""Issue #13, security: open redirects, reset-link host poisoning, sessions that outlive a
password reset or a logout, and answers that tell a stranger which addresses have accounts."""
import re

import pytest
from sqlalchemy import select

from market.accounts.models import OutboxEmail
from market.db import unit_of_work

PASSWORD = "long-enough-pw"


def _signup(client, email="ann@example.test"):
    return client.post("/signup", data={"kind": "factory", "organization_name": "Acme Works", "name": "Ann",
                                        "email": email, "password": PASSWORD})


def _mails(app, to="ann@example.test"):
    with app.app_context(), unit_of_work() as s:
        return list(s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id)))


def _reset_token(mail) -> str:
    return re.search(r"token=([\w-]+)", mail.body).group(1)


HOSTILE_NEXT = ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
                " //evil.example", "https://evil.example/", "/\x00/evil.example", "/\x0b/evil.example"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site_whatever_the_next_parameter_hides(client, target):
    _signup(client)
    client.post("/logout")
    response = client.post("/login", query_string={"next": target}, data={"email": "ann@example.test",
                                                                          "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_local_next_path_with_its_query_is_kept(client):
    _signup(client)
    client.post("/logout")
    response = client.post("/login?next=%2Forders%3Fpage%3D2", data={"email": "ann@example.test", "password": PASSWORD})
    assert response.headers["Location"] == "/orders?page=2"
    assert client.post("/lang/zh_CN", data={"next": "/orders?page=2"}).headers["Location"] == "/orders?page=2"
