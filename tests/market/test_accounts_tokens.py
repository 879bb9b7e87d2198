"""API tokens act with their creator's role, read when the token is used: a member's token
is a member's, demoting or removing the member takes effect on their tokens at once."""
import pytest
from sqlalchemy import select

from market.accounts.models import Organization, User
from market.db import unit_of_work


@pytest.fixture
def team(app, tenant, api):
    """A factory organization with its owner and a member, each with a write token."""
    from market.accounts import services

    owner = tenant("factory", "Acme Works")
    with app.app_context():
        member = services.create_user(organization_id=owner.actor.org_id, email="bo@example.test",
                                      password="correct-horse-1", name="Bo")
        _, member_token = services.create_api_token(services.actor_of_id(member.id), name="bo", scope="write")
    return owner, api(owner), api(member_token), member.id


def _set(app, user_id: int, **values) -> None:
    with app.app_context(), unit_of_work() as s:
        user = s.get(User, user_id)
        for key, value in values.items():
            setattr(user, key, value)
        s.commit()


def _token_ids(client) -> dict[str, str]:
    return {t["name"]: t["id"] for t in client.get("/api/v1/tokens").get_json()["items"]}


def test_a_members_token_cannot_rename_the_organization_nor_revoke_the_owners_tokens(team):
    owner, boss, bo, _ = team
    renamed = bo.patch("/api/v1/organizations/me", json={"name": "Bo's Works"})
    assert renamed.status_code == 403 and renamed.mimetype == "application/problem+json"
    assert boss.get("/api/v1/organizations/me").get_json()["name"] == "Acme Works"
    tokens = _token_ids(boss)
    assert bo.delete(f"/api/v1/tokens/{tokens['tests']}").status_code == 403
    assert boss.get("/api/v1/organizations/me").status_code == 200  # the owner's token still works
    # a member may still revoke a token they made themselves; the owner any token
    assert bo.delete(f"/api/v1/tokens/{tokens['bo']}").status_code == 200
    assert bo.get("/api/v1/organizations/me").status_code == 401
    assert boss.delete(f"/api/v1/tokens/{tokens['tests-read']}").status_code == 200
    assert boss.patch("/api/v1/organizations/me", json={"name": "Acme Works Ltd"}).status_code == 200


def test_a_token_takes_its_creators_role_at_use_time(team, app):
    owner, boss, bo, bo_id = team
    _set(app, bo_id, role="owner")  # promoted: the same token may now rename
    assert bo.patch("/api/v1/organizations/me", json={"name": "Bo's Works"}).status_code == 200
    _set(app, bo_id, role="member")  # demoted again: refused at once
    assert bo.patch("/api/v1/organizations/me", json={"name": "Acme Works"}).status_code == 403
    _set(app, owner.actor.user_id, role="member")
    assert boss.patch("/api/v1/organizations/me", json={"name": "Acme Works"}).status_code == 403


def test_the_tokens_of_a_member_who_left_the_organization_stop_working(team, app):
    _, boss, bo, bo_id = team
    assert bo.get("/api/v1/organizations/me").status_code == 200
    with app.app_context(), unit_of_work() as s:
        elsewhere = Organization(kind="factory", name="Elsewhere")
        s.add(elsewhere)
        s.flush()
        s.get(User, bo_id).organization_id = elsewhere.id
        s.commit()
    assert bo.get("/api/v1/organizations/me").status_code == 401
    assert boss.get("/api/v1/organizations/me").status_code == 200


def test_a_member_signed_in_to_the_portal_cannot_revoke_the_owners_tokens(team, app):
    owner, boss, _, bo_id = team
    tokens = _token_ids(boss)
    portal = app.test_client()
    assert portal.post("/login", data={"email": "bo@example.test", "password": "correct-horse-1"}).status_code == 302
    assert portal.post(f"/settings/tokens/{tokens['tests']}/revoke").status_code == 403
    assert boss.get("/api/v1/organizations/me").status_code == 200
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(Organization.name).where(Organization.id == owner.actor.org_id)) == "Acme Works"


def test_the_tokens_page_offers_a_member_revoke_only_on_their_own_tokens(team, client):
    assert client.post("/login", data={"email": "bo@example.test", "password": "correct-horse-1"}).status_code == 302
    page = client.get("/settings/tokens").get_data(as_text=True)
    rows = {name: row for row in page.split("<tr>")[2:] for name in ("tests-read", "tests", "bo")
            if row.startswith(f"<td>{name}</td>")}
    assert set(rows) == {"tests", "tests-read", "bo"}
    assert "Revoke" in rows["bo"]
    assert "Revoke" not in rows["tests"] and "Revoke" not in rows["tests-read"]  # the owner's: a click would be a 403
