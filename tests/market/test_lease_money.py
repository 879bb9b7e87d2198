"""A lease's money goes through the payments module (payments/contracts.py): the disbursement
from the lessor to the equipment supplier (the payee, never the lessee) and each period's rent
from the lessee to the lessor are transfers, pending until the operator confirms the bank
transfer (offline provider); the lease's books follow in the same transaction, and the money
invariant (moved = booked) holds after every step. Simulated days: the clock is injected."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from tests.market.test_leasing import FLOOR, T0, _uuid, ledger_size, signed_lease, world  # noqa: F401

DISBURSED = 40_000_000


def _balance(app, lease_id):
    from market.db import unit_of_work
    from market.leasing import money
    from market.leasing.models import Lease

    with app.app_context(), unit_of_work() as s:
        b = money.balance(s, s.scalar(select(Lease).where(Lease.public_id == _uuid(lease_id))))
    assert b.holds, b
    return b


def _types(app):
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        store = get_ledger().store
        return [json.loads(r)["event"]["type"] for r in store.entries(s.connection(), 0, store.size(s.connection()))]


def test_the_supplier_is_paid_and_the_rent_collected_through_payments_with_the_invariant_after_every_step(app, world):
    from market.db import unit_of_work
    from market.leasing import rent
    from market.leasing.models import RentInvoice
    from market.payments import contracts
    from market.payments.models import ContractTransfer
    from market.telemetry import rollup
    from market.telemetry.models import MachineDay

    w = world
    lease = signed_lease(w)
    lid = lease["id"]
    _balance(app, lid)
    assert w["lessor"].post(f"/api/v1/leases/{lid}/disburse").status_code == 200
    b = _balance(app, lid)
    assert (b.disbursed_booked, b.disbursed_moved, b.disbursement_pending) == (0, 0, DISBURSED)
    assert w["lessor"].get(f"/api/v1/leases/{lid}").get_json()["status"] == "signed"  # not active until paid
    (t,) = w["lessee"].get(f"/api/v1/leases/{lid}/transfers").get_json()["items"]
    assert (t["kind"], t["state"], t["amount_minor"]) == ("lease_disbursement", "pending", DISBURSED)
    with app.app_context(), unit_of_work() as s:
        row = s.scalar(select(ContractTransfer))
        from market.accounts.models import Organization

        assert row.payer_org_id == w["lessor_tenant"].actor.org_id and row.payee_org_id != w["owner"].actor.org_id
        assert str(s.get(Organization, row.payee_org_id).public_id) == w["supplier_id"]  # the supplier, not the lessee
    # twice: refused, nothing written
    before = ledger_size(app)
    again = w["lessor"].post(f"/api/v1/leases/{lid}/disburse")
    assert again.status_code == 409 and ledger_size(app) == before
    # only the operator confirms the bank transfer; outsiders do not see the lease's money
    for who in ("lessor", "lessee", "bank_b"):  # to anyone but the operator it does not exist
        assert w[who].post(f"/api/v1/contract-transfers/{t['id']}/confirm", json={"bank_reference": "X"}).status_code == 404
    assert w["lessor"].get("/api/v1/contract-transfers").status_code == 403
    assert w["bank_b"].get(f"/api/v1/leases/{lid}/transfers").status_code == 404
    assert w["ops"].post(f"/api/v1/contract-transfers/{t['id']}/confirm", json={}).status_code == 422
    with app.app_context():
        contracts.confirm(w["operator"].actor, _uuid(t["id"]), "ICBC-77", now=T0)
    b = _balance(app, lid)
    assert (b.disbursed_booked, b.disbursed_moved, b.disbursement_pending) == (DISBURSED, DISBURSED, 0)
    active = w["lessor"].get(f"/api/v1/leases/{lid}").get_json()
    assert active["status"] == "active" and active["start_day"] == "2026-03-01"
    assert w["ops"].post(f"/api/v1/contract-transfers/{t['id']}/confirm",
                         json={"bank_reference": "again"}).status_code == 409
    types = _types(app)
    assert types.count("payment.contract_transfer") == 1 and types.count("payment.contract_transfer_done") == 1
    assert types.count("lease.disbursed") == 1

    # a month of a machine that never ran: rent at the floor
    with app.app_context():
        with unit_of_work() as s:
            from market.leasing.models import Lease

            lease_row = s.scalar(select(Lease).where(Lease.public_id == _uuid(lid)))
            for n in range(32):
                s.add(MachineDay(machine_id=lease_row.machine_id, factory_id=lease_row.factory_id,
                                 day=date(2026, 3, 1) + timedelta(n), seconds={"idle": 86400}))
            factory_pk = lease_row.factory_id
            s.commit()
        with unit_of_work() as s:
            rollup.summarize(s, factory_pk, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
            s.commit()
        assert rent.issue_invoices(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc)) == 1
        with unit_of_work() as s:
            inv_id = str(s.scalar(select(RentInvoice.public_id)))
    _balance(app, lid)
    # only the lessee pays; the lessor and outsiders cannot
    assert w["lessor"].post(f"/api/v1/lease-invoices/{inv_id}/rent-payment").status_code == 403
    assert w["bank_b"].post(f"/api/v1/lease-invoices/{inv_id}/rent-payment").status_code == 404
    paid = w["lessee"].post(f"/api/v1/lease-invoices/{inv_id}/rent-payment")
    assert paid.status_code == 201 and paid.get_json()["amount_minor"] == FLOOR and paid.get_json()["state"] == "pending"
    assert w["lessee"].post(f"/api/v1/lease-invoices/{inv_id}/rent-payment").status_code == 409  # once
    b = _balance(app, lid)
    assert (b.rent_booked, b.rent_moved, b.rent_pending) == (0, 0, FLOOR)
    # the bank transfer arrives two days after the due day (16 April at the factory)
    with app.app_context():
        contracts.confirm(w["operator"].actor, _uuid(paid.get_json()["id"]), "ICBC-78",
                          now=datetime(2026, 4, 18, 4, tzinfo=timezone.utc))
    b = _balance(app, lid)
    assert (b.rent_booked, b.rent_moved, b.rent_pending) == (FLOOR, FLOOR, 0)
    (inv,) = w["lessee"].get(f"/api/v1/leases/{lid}/invoices").get_json()["items"]
    assert inv["status"] == "paid" and inv["days_late"] == 2
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(ContractTransfer.id))) == 2


def test_rent_the_lessor_confirms_itself_is_recorded_as_a_settled_transfer(app, world):
    """The lessor's own confirmation of rent received outside the platform is a transfer too."""
    from market.db import unit_of_work
    from market.leasing import rent
    from market.leasing.models import Lease, RentInvoice
    from market.payments.models import ContractTransfer
    from market.telemetry import rollup
    from market.telemetry.models import MachineDay
    from tests.market.test_leasing import disburse_confirmed

    w = world
    lease = signed_lease(w)
    with app.app_context():
        disburse_confirmed(w, lease["id"])
        with unit_of_work() as s:
            row = s.scalar(select(Lease))
            for n in range(32):
                s.add(MachineDay(machine_id=row.machine_id, factory_id=row.factory_id,
                                 day=date(2026, 3, 1) + timedelta(n), seconds={"idle": 86400}))
            factory_pk = row.factory_id
            s.commit()
        with unit_of_work() as s:
            rollup.summarize(s, factory_pk, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
            s.commit()
        rent.issue_invoices(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
        with unit_of_work() as s:
            inv_id = s.scalar(select(RentInvoice.public_id))
        inv = rent.record_payment(w["lessor_tenant"].actor, inv_id, now=datetime(2026, 4, 10, tzinfo=timezone.utc))
        assert inv.status == "paid" and inv.days_late == 0
        with unit_of_work() as s:
            t = s.scalar(select(ContractTransfer).where(ContractTransfer.kind == "lease_rent"))
            assert (t.state, t.amount_minor, t.provider) == ("succeeded", FLOOR, "offline")
    _balance(app, lease["id"])


def test_the_portal_shows_the_money_waiting_for_the_bank_in_both_languages(app, world):
    w = world
    lease = signed_lease(w)
    for lang, kind, state in (("en", "disbursement to the payee", "waiting for the bank&#39;s confirmation"),
                              ("zh-CN", "向收款方放款", "等待银行确认")):
        client = app.test_client()
        headers = {"Accept-Language": lang}
        assert client.post("/login", data={"email": w["lessor_tenant"].email, "password": "correct-horse-1"},
                           headers=headers).status_code == 302
        if lang == "en":
            page = client.post(f"/leases/{lease['id']}/disburse", headers=headers, follow_redirects=True)
            assert "the lease starts when the payment is confirmed" in page.get_data(as_text=True)
        html = client.get(f"/leases/{lease['id']}", headers=headers).get_data(as_text=True)
        transfers = html.split('id="transfers"')[1].split("</table>")[0]
        assert kind in transfers and state in transfers and "¥400,000.00" in transfers, transfers
        assert f"/leases/{lease['id']}/disburse" not in html  # no second disbursement while one is on its way
