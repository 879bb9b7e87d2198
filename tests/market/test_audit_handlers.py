"""The security log listens to accounts (market/audit/handlers.py): what accounts publishes
is recorded in the publisher's transaction, so it commits with the change or not at all, and
an action outside the known set is refused where it is published."""
import pytest
from sqlalchemy import select

from market import bus
from market.accounts.domain_events import SecurityActivity
from market.audit.models import SecurityEvent
from market.db import unit_of_work


def _events(app) -> list[tuple]:
    with app.app_context(), unit_of_work() as s:
        return [(e.action, e.user_id, e.organization_id, e.actor_user_id, e.ip, e.detail)
                for e in s.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]


def test_an_unknown_security_action_is_refused_where_it_is_published():
    with pytest.raises(ValueError, match="unknown security action 'login.guessed'"):
        SecurityActivity("login.guessed", detail={"failures": 1})


def test_security_activity_is_recorded_only_when_its_unit_of_work_commits(app, tenant):
    owner = tenant("buyer").actor
    before = len(_events(app))
    with app.app_context():
        with unit_of_work() as s:  # not committed: rolls back, and the record with it
            bus.publish(s, SecurityActivity("logout", user_id=owner.user_id, organization_id=owner.org_id))
        with unit_of_work() as s:
            bus.publish(s, SecurityActivity("token.revoked", organization_id=owner.org_id, actor_user_id=owner.user_id,
                                            detail={"prefix": "smm_abcdef"}))
            s.commit()
    assert _events(app)[before:] == [("token.revoked", None, owner.org_id, owner.user_id, "", {"prefix": "smm_abcdef"})]
