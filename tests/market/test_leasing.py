"""Equipment leasing: a usage-based lease over three simulated months whose rent is the formula
over the machine's ledger-committed run hours (verified by `python -m ledger verify-evidence`
in another process, and failing when one daily summary was tampered with); the authorization
matrix of lessor, lessee and everyone else; bad input refused with fields, nothing written;
fund flow (the supplier is the payee), monitoring and rent behaviour; the portal in both
languages with amounts in major units. The clock is injected: simulated days, not the wall."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import FACTORY

SHANGHAI = timedelta(hours=8)
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 on 1 March in Shanghai: the disbursement
T_END = datetime(2026, 6, 2, 4, 0, tzinfo=timezone.utc)  # noon on 2 June: May 31 is closed and summarised
RATE, FLOOR = 12_000, 150_000  # 120.00 yuan per run hour, at least 1,500.00 a month


def rent_by_hand(run_s: int, *, fixed: int = 0, floor: int = FLOOR, rate: int = RATE) -> int:
    usage = (Decimal(rate) * run_s / 3600).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return fixed + max(floor, int(usage))


@pytest.fixture
def world(app, api, tenant):
    owner, other = tenant("factory", "Lessee Works"), tenant("factory", "Other Works")
    lessor, bank_b = tenant("lender", "Leasing Co"), tenant("lender", "Bank B")
    supplier, buyer = tenant("factory", "Machine Tool Co"), tenant("buyer", "Buyer")
    lessee = api(owner)
    factory = lessee.post("/api/v1/factories", json={**FACTORY, "timezone": "Asia/Shanghai"}).get_json()
    machine = lessee.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "VMC-850",
                                                    "processes": ["cnc_milling_3ax"]}).get_json()
    other_api = api(other)
    other_factory = other_api.post("/api/v1/factories", json={**FACTORY, "name": "Other"}).get_json()
    other_machine = other_api.post("/api/v1/machines", json={"factory_id": other_factory["id"], "name": "Lathe",
                                                            "processes": ["cnc_turning"]}).get_json()
    consent = lessee.post("/api/v1/credit/consents", json={
        "factory_id": factory["id"], "lender_id": str(lessor.actor.org_public_id), "purpose": "equipment_financing"})
    assert consent.status_code == 201, consent.get_json()
    operator = tenant("operator", "Ops")
    return {"lessee": lessee, "lessor": api(lessor), "bank_b": api(bank_b), "other": other_api, "buyer": api(buyer),
            "operator": operator, "ops": api(operator),
            "factory": factory, "machine": machine, "other_machine": other_machine,
            "supplier_id": str(supplier.actor.org_public_id), "owner": owner, "lessor_tenant": lessor}


def offer_body(w, **over):
    return {"factory_id": w["factory"]["id"], "machine_id": w["machine"]["id"], "supplier_id": w["supplier_id"],
            "kind": "new", "schedule": "usage", "term_months": 3, "price_minor": 48_000_000,
            "down_payment_minor": 8_000_000, "rate_minor_per_hour": RATE, "floor_minor": FLOOR, **over}


def signed_lease(w):
    r = w["lessor"].post("/api/v1/leases", json=offer_body(w))
    assert r.status_code == 201, r.get_json()
    lease = r.get_json()
    assert w["lessee"].post(f"/api/v1/leases/{lease['id']}/sign", json={"accept": True}).status_code == 200
    return lease


def disburse_confirmed(w, lease_id: str, now=T0):
    """The lessor disburses through payments and the operator confirms the bank transfer (in an app context)."""
    from market.leasing import services
    from market.payments import contracts

    services.disburse(w["lessor_tenant"].actor, _uuid(lease_id), now=now)
    (t,) = [t for t in contracts.pending(w["operator"].actor) if t.contract == lease_id]
    contracts.confirm(w["operator"].actor, t.public_id, "BANK-1", now=now)
    return services.get(w["lessor_tenant"].actor, _uuid(lease_id))


def ledger_size(app) -> int:
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        return get_ledger().store.size(s.connection())


def verify_in_another_process(bundle: dict, tmp_path, name: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return subprocess.run([sys.executable, "-m", "ledger", "verify-evidence", str(path)], capture_output=True, text=True)


def test_three_months_of_usage_rent_follow_the_committed_run_hours_and_a_tampered_day_fails_verification(
        app, world, tmp_path):
    from market.db import unit_of_work
    from market.leasing import rent
    from market.telemetry.models import MachineDay
    from market.telemetry.simulation import load_history

    w = world
    lease = signed_lease(w)
    with app.app_context():
        active = disburse_confirmed(w, lease["id"])
        assert active.start_day == date(2026, 3, 1) and active.disbursed_minor == 40_000_000
        machine_pk = active.machine_id
        # three months of simulated readings, rolled up and summarised day by day on the ledger
        assert load_history([machine_pk], days=(T_END - T0).days + 2, end=T_END) > 0
        assert rent.issue_invoices(now=T0 + timedelta(days=30)) == 0  # 31 March is not closed yet
        # someone edits the stored summary of 15 April after it was committed
        with unit_of_work() as s:
            day = s.scalar(select(MachineDay).where(MachineDay.machine_id == machine_pk,
                                                    MachineDay.day == date(2026, 4, 15)))
            assert day.ledger_index is not None and day.committed["run_total_s"] > 0
            day.committed = {**day.committed, "run_total_s": day.committed["run_total_s"] + 7200}
            s.commit()
        assert rent.issue_invoices(now=T_END) == 3
        assert rent.issue_invoices(now=T_END) == 0  # once per period
        with unit_of_work() as s:
            live = {d.day: d.run_total_s for d in s.scalars(select(MachineDay).where(MachineDay.machine_id == machine_pk))}

    invoices = w["lessee"].get(f"/api/v1/leases/{lease['id']}/invoices").get_json()["items"]
    assert [(i["period_start"], i["period_end"]) for i in invoices] == [
        ("2026-03-01", "2026-04-01"), ("2026-04-01", "2026-05-01"), ("2026-05-01", "2026-06-01")]
    assert all(i["ledger_index"] is not None and i["due_on"] == (date.fromisoformat(i["period_end"]) + timedelta(days=15)).isoformat()
               for i in invoices)
    for inv in invoices:
        start, end = date.fromisoformat(inv["period_start"]), date.fromisoformat(inv["period_end"])
        bundle = w["lessee"].get(f"/api/v1/lease-invoices/{inv['id']}/evidence").get_json()
        days = [d["payload"] for d in bundle["disclosures"][2:]]
        # every day the machine reported was summarised (the simulated shop works Monday to Friday)
        assert len(days) == inv["days"] == sum(1 for d in live if start <= d < end) >= 20
        assert {d["machine"] for d in days} == {w["machine"]["id"]}
        assert inv["run_total_s"] == sum(d["run_total_s"] for d in days)
        assert inv["rent_minor"] == rent_by_hand(inv["run_total_s"])  # the formula over the committed hours
        done = verify_in_another_process(bundle, tmp_path, f"period-{inv['period_no']}")
        if start <= date(2026, 4, 15) < end:
            # the edited day no longer opens its ledger commitment: the lessee's check fails
            assert done.returncode != 0 and "do not open the commitment" in done.stdout + done.stderr, done.stdout
            assert inv["run_total_s"] == sum(v for d, v in live.items() if start <= d < end) + 7200
            continue
        assert done.returncode == 0 and done.stdout.startswith("OK"), done.stdout + done.stderr
        assert inv["run_total_s"] == sum(v for d, v in live.items() if start <= d < end)
        if inv["period_no"] == 0:
            # the lessor checks the same bundle; then probes that must fail
            lessor_copy = w["lessor"].get(f"/api/v1/lease-invoices/{inv['id']}/evidence").get_json()
            assert verify_in_another_process(lessor_copy, tmp_path, "lessor").returncode == 0
            tampered = json.loads(json.dumps(bundle))
            tampered["disclosures"][5]["payload"]["run_total_s"] += 3600  # one day's summary, in transit
            done = verify_in_another_process(tampered, tmp_path, "tampered")
            assert done.returncode != 0 and "disclosure 5" in done.stdout + done.stderr
            inflated = json.loads(json.dumps(bundle))
            inflated["facts"][1]["value"] = str(Decimal(inflated["facts"][1]["value"]) + 1)
            assert verify_in_another_process(inflated, tmp_path, "inflated").returncode != 0


def _uuid(text):
    import uuid

    return uuid.UUID(text)


def test_rent_formula_rounds_half_even_and_applies_the_floor_and_the_fixed_part():
    from ledger.evidence import usage_rent

    assert usage_rent(fixed=0, floor=0, rate=1, seconds=1800) == 0  # 0.5 -> 0 (half-even)
    assert usage_rent(fixed=0, floor=0, rate=3, seconds=1800) == 2  # 1.5 -> 2
    assert usage_rent(fixed=0, floor=150_000, rate=12_000, seconds=3600 * 10) == 150_000  # under the floor
    assert usage_rent(fixed=0, floor=150_000, rate=12_000, seconds=3600 * 100) == 1_200_000
    assert usage_rent(fixed=500_000, floor=0, rate=12_000, seconds=3600 * 100) == 1_700_000  # hybrid
    assert usage_rent(fixed=500_000, floor=0, rate=0, seconds=3600 * 100) == 500_000  # fixed
    huge = 10**13  # the largest amount an input takes, over a 31-day month of running
    assert usage_rent(fixed=huge, floor=huge, rate=huge, seconds=31 * 86400) == huge + huge * 744


def test_only_lessor_and_lessee_see_a_lease_everyone_else_gets_404(app, world):
    w = world
    lease = signed_lease(w)
    with app.app_context():
        disburse_confirmed(w, lease["id"])
    lid = lease["id"]
    for who in ("lessor", "lessee"):
        assert w[who].get(f"/api/v1/leases/{lid}").status_code == 200
        assert w[who].get(f"/api/v1/leases/{lid}/monitor").status_code == 200
        assert [x["id"] for x in w[who].get("/api/v1/leases").get_json()["items"]] == [lid]
    for who in ("bank_b", "other", "buyer"):
        for url in (f"/api/v1/leases/{lid}", f"/api/v1/leases/{lid}/invoices", f"/api/v1/leases/{lid}/monitor"):
            assert w[who].get(url).status_code == 404, (who, url)
        assert w[who].post(f"/api/v1/leases/{lid}/sign", json={"accept": True}).status_code == 404
        assert w[who].post(f"/api/v1/leases/{lid}/disburse").status_code == 404
        assert w[who].get("/api/v1/leases").get_json()["items"] == []
    # a lender without the factory's consent cannot even offer: the factory is not found for it
    r = w["bank_b"].post("/api/v1/leases", json=offer_body(w, machine_id=w["other_machine"]["id"]))
    assert r.status_code == 404 and "factory_id" in r.get_json()["errors"]
    # the parties' roles: the lessor does not sign, the lessee does not disburse
    second = w["lessor"].post("/api/v1/leases", json=offer_body(w))
    assert second.status_code == 409 and "machine_id" in second.get_json()["errors"]  # one open lease per machine
    assert w["lessee"].post(f"/api/v1/leases/{lid}/disburse").status_code == 403


@pytest.mark.parametrize("over, field", [
    ({"machine_id": "OTHER"}, "machine_id"),  # another factory's machine
    ({"price_minor": -1}, "price_minor"),
    ({"rate_minor_per_hour": -12_000}, "rate_minor_per_hour"),
    ({"floor_minor": 10**13 + 1}, "floor_minor"),  # over the bound every amount has
    ({"price_minor": 2**63}, "price_minor"),  # would overflow BIGINT
    ({"down_payment_minor": 48_000_001}, "down_payment_minor"),
    ({"price_minor": 12.5}, "price_minor"),
    ({"term_months": 0}, "term_months"),
    ({"schedule": "usage", "rate_minor_per_hour": 0}, "rate_minor_per_hour"),
    ({"schedule": "fixed"}, "fixed_minor"),
    ({"supplier_id": "LESSEE"}, "supplier_id"),  # new equipment is never paid to the lessee
    ({"supplier_id": None}, "supplier_id"),
    ({"kind": "leaseback", "supplier_id": "SUPPLIER_OTHER"}, "supplier_id"),
])
def test_bad_offers_are_refused_with_the_field_and_nothing_is_written(app, world, over, field):
    from market.db import unit_of_work
    from market.leasing.models import Lease

    w = world
    subst = {"OTHER": w["other_machine"]["id"], "LESSEE": str(w["owner"].actor.org_public_id),
             "SUPPLIER_OTHER": w["supplier_id"]}
    body = offer_body(w, **{k: subst.get(v, v) if isinstance(v, str) else v for k, v in over.items()})
    before = ledger_size(app)
    r = w["lessor"].post("/api/v1/leases", json=body, headers={"Accept-Language": "zh-CN"})
    assert 400 <= r.status_code < 500, r.get_json()
    assert field in r.get_json()["errors"], r.get_json()
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Lease.id))) == 0
    assert ledger_size(app) == before


def test_domain_refusals_speak_the_users_language(world):
    w = world
    zh = w["lessor"].post("/api/v1/leases", json=offer_body(w, machine_id=w["other_machine"]["id"]),
                          headers={"Accept-Language": "zh-CN"}).get_json()
    en = w["lessor"].post("/api/v1/leases", json=offer_body(w, machine_id=w["other_machine"]["id"]),
                          headers={"Accept-Language": "en"}).get_json()
    assert en["errors"]["machine_id"] == ["This machine is not one of the factory's machines."]
    assert zh["errors"]["machine_id"] != en["errors"]["machine_id"] and "设备" in zh["errors"]["machine_id"][0]


def test_the_supplier_is_paid_the_lessor_watches_the_machine_and_late_rent_is_recorded(app, world):
    from market.db import unit_of_work
    from market.leasing import monitoring, rent
    from market.leasing.models import RentInvoice
    from market.telemetry.models import Alert, MachineDay

    w = world
    lease = signed_lease(w)
    lessor = w["lessor_tenant"].actor
    with app.app_context():
        active = disburse_confirmed(w, lease["id"])
        machine_pk, factory_pk = active.machine_id, active.factory_id
        # a machine that reported but never ran from 1 March to 1 April, and went down on 30 March
        with unit_of_work() as s:
            for n in range(32):
                s.add(MachineDay(machine_id=machine_pk, factory_id=factory_pk, day=date(2026, 3, 1) + timedelta(n),
                                 seconds={"idle": 86400}))
            s.add(Alert(machine_id=machine_pk, factory_id=factory_pk, kind="down", since=datetime(2026, 3, 30, tzinfo=timezone.utc)))
            s.commit()
        from market.telemetry import rollup

        with unit_of_work() as s:
            rollup.summarize(s, factory_pk, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
            s.commit()
        now = datetime(2026, 4, 2, 4, tzinfo=timezone.utc)
        assert rent.issue_invoices(now=now) == 1
        m = monitoring.monitor(lessor, _uuid(lease["id"]), now=now)
        assert m.utilization == 0.0 and set(m.alerts) == {"down_48h", "idle"}
        assert m.lease.supplier.public_id != m.lease.lessee.public_id
        assert m.outstanding_minor == FLOOR  # no run hours: the floor
        # unpaid past the due day (16 April): overdue, on the ledger; paid four days late
        assert rent.mark_overdue(now=datetime(2026, 4, 16, 15, tzinfo=timezone.utc)) == 0  # 23:00 on the due day
        assert rent.mark_overdue(now=datetime(2026, 4, 16, 17, tzinfo=timezone.utc)) == 1
        with unit_of_work() as s:
            inv = s.scalar(select(RentInvoice))
            assert inv.status == "overdue" and inv.overdue_ledger_index is not None
        paid = rent.record_payment(lessor, inv.public_id, now=datetime(2026, 4, 20, 4, tzinfo=timezone.utc))
        assert paid.status == "paid" and paid.days_late == 4 and paid.paid_ledger_index is not None
        m = monitoring.monitor(lessor, _uuid(lease["id"]), now=datetime(2026, 4, 20, 4, tzinfo=timezone.utc))
        assert (m.invoices, m.paid, m.paid_late, m.overdue, m.max_days_late, m.outstanding_minor) == (1, 1, 1, 0, 4, 0)
        # the late rent is repayment behaviour in the lessee's credit features, verifiable like an instalment
        from market.catalog.models import Factory
        from market.credit import facts as credit_facts
        from market.credit.features import compute_features

        with unit_of_work() as s:
            factory = s.get(Factory, factory_pk)
            gathered = credit_facts.gather(s, factory, datetime(2026, 5, 1, tzinfo=timezone.utc))
            assert [(i.due_on, i.paid_at is not None) for i in gathered.instalments] == [(date(2026, 4, 16), True)]
            feature = compute_features(gathered, credit_facts.entry_reader(s))["repayment_late_share"]
        assert feature.display == "1.0000" and feature.basis == "ledger", feature
    shown = w["lessor"].get(f"/api/v1/leases/{lease['id']}/monitor").get_json()
    assert shown["payee_id"] == w["supplier_id"] and shown["factory_name"] == "Test Works"
    assert shown["disbursed_minor"] == 40_000_000
    with app.app_context(), unit_of_work() as s:  # only the lessor confirms rent received
        inv_id = s.scalar(select(RentInvoice.public_id))
    assert w["lessee"].post(f"/api/v1/lease-invoices/{inv_id}/payment").status_code == 403
    assert w["bank_b"].post(f"/api/v1/lease-invoices/{inv_id}/payment").status_code == 404
    assert w["bank_b"].get(f"/api/v1/lease-invoices/{inv_id}/evidence").status_code == 404


@pytest.mark.parametrize("lang, price_shown, label", [("en", "¥480,000.50", "Offer a lease"),
                                                      ("zh-CN", "¥480,000.50", "提供租赁")])
def test_the_portal_offers_in_major_units_and_shows_the_lease_in_both_languages(app, world, lang, price_shown, label):
    from market.db import unit_of_work
    from market.leasing.models import Lease

    w = world
    client = app.test_client()
    headers = {"Accept-Language": lang}
    assert client.post("/login", data={"email": w["lessor_tenant"].email, "password": "correct-horse-1"},
                       headers=headers).status_code == 302
    page = client.get("/leases", headers=headers).get_data(as_text=True)
    assert label in page
    r = client.post("/leases", headers=headers, data={
        "factory_id": w["factory"]["id"], "machine_id": w["machine"]["id"], "kind": "new",
        "supplier_id": w["supplier_id"], "schedule": "hybrid", "term_months": "36", "price": "480,000.50",
        "down_payment": "80000", "fixed": "5000", "rate_per_hour": "85.5", "floor": ""})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context(), unit_of_work() as s:
        lease = s.scalar(select(Lease))
        assert (lease.price_minor, lease.down_payment_minor, lease.fixed_minor, lease.rate_minor_per_hour) == (
            48_000_050, 8_000_000, 500_000, 8_550)
    detail = client.get(r.headers["Location"], headers=headers).get_data(as_text=True)
    assert price_shown in detail and "¥85.50" in detail
    # a typed amount that is not money: refused, nothing written
    bad = client.post("/leases", headers=headers, data={
        "factory_id": w["factory"]["id"], "machine_id": w["other_machine"]["id"], "kind": "new",
        "supplier_id": w["supplier_id"], "schedule": "fixed", "term_months": "12", "price": "1e400", "fixed": "1"},
        follow_redirects=True)
    assert bad.status_code == 422  # the form again, with what was typed and why
    assert 'value="1e400"' in bad.get_data(as_text=True) and 'data-error-for="price_minor"' in bad.get_data(as_text=True)
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Lease.id))) == 1


def test_the_signed_contract_pdfs_in_both_languages_are_hashed_onto_the_ledger(app, world):
    import hashlib

    import pypdfium2 as pdfium

    from ledger.disclosure import opens
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    w = world
    offered = w["lessor"].post("/api/v1/leases", json=offer_body(w)).get_json()
    assert w["lessee"].get(f"/api/v1/leases/{offered['id']}/contract.pdf").status_code == 404  # not signed yet
    lease = w["lessee"].post(f"/api/v1/leases/{offered['id']}/sign", json={"accept": True}).get_json()
    texts = {}
    for lang in ("en", "zh_CN"):
        r = w["lessor"].get(f"/api/v1/leases/{lease['id']}/contract.pdf?lang={lang}")
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
        page = pdfium.PdfDocument(r.data)[0]
        texts[lang] = page.get_textpage().get_text_range()
        texts[lang + "_sha"] = hashlib.sha256(r.data).hexdigest()
        assert w["bank_b"].get(f"/api/v1/leases/{lease['id']}/contract.pdf?lang={lang}").status_code == 404
    assert "Equipment lease contract" in texts["en"] and "¥480,000.00" in texts["en"] and "Machine Tool Co" in texts["en"]
    assert "设备租赁合同" in texts["zh_CN"] and "¥480,000.00" in texts["zh_CN"]
    assert w["lessor"].get(f"/api/v1/leases/{lease['id']}/contract.pdf?lang=fr").status_code == 422
    # the lessee's signature entry commits to the terms and to both documents' hashes
    with app.app_context(), unit_of_work() as s:
        entry = json.loads(get_ledger().store.entry(s.connection(), lease["signed_ledger_index"]))
    event = entry["event"]
    assert event["type"] == "lease.signed" and event["org"] == str(w["owner"].actor.org_public_id)
    payload = {**lease["terms"], "contract_sha256": {"en": texts["en_sha"], "zh_CN": texts["zh_CN_sha"]}}
    assert opens(event["data"]["commitment"], payload, lease["salt"])
    forged = {**payload, "contract_sha256": {"en": hashlib.sha256(b"another").hexdigest(), "zh_CN": texts["zh_CN_sha"]}}
    assert not opens(event["data"]["commitment"], forged, lease["salt"])
    assert "price_minor" not in json.dumps(event) and "48000000" not in json.dumps(event)  # terms stay private


def test_the_database_itself_refuses_a_second_open_lease_and_negative_rent(app, world):
    """What races past the service's check (two offers at once) or a bug would write: refused by
    the schema (partial unique index, CHECK constraints) on SQLite and PostgreSQL alike."""
    import uuid

    from sqlalchemy.exc import IntegrityError

    from market.db import unit_of_work
    from market.leasing.models import Lease

    w = world
    first = w["lessor"].post("/api/v1/leases", json=offer_body(w)).get_json()
    with app.app_context():
        with unit_of_work() as s:
            row = s.scalar(select(Lease).where(Lease.public_id == uuid.UUID(first["id"])))
            columns = {c.key: getattr(row, c.key) for c in Lease.__table__.columns if c.key not in ("id", "public_id")}
        for change in ({}, {"status": "declined", "rate_minor_per_hour": -1}, {"status": "declined", "price_minor": 0}):
            with unit_of_work() as s:
                s.add(Lease(public_id=uuid.uuid4(), **{**columns, **change}))
                with pytest.raises(IntegrityError):
                    s.commit()
        with unit_of_work() as s:  # a declined lease frees the machine
            s.add(Lease(public_id=uuid.uuid4(), **{**columns, "status": "declined"}))
            s.commit()
            assert s.scalar(select(func.count(Lease.id))) == 2


def test_refusals_give_an_english_detail_to_the_api_and_the_readers_language_to_fields_and_the_portal(app, world):
    w = world
    zh = {"Accept-Language": "zh-CN"}
    r = w["lessor"].post("/api/v1/leases", json=offer_body(w, machine_id=w["other_machine"]["id"]), headers=zh)
    body = r.get_json()
    assert r.status_code == 422 and body["detail"] == "This machine is not one of the factory's machines."
    assert "设备" in body["errors"]["machine_id"][0]
    # several terms that do not hold: each field in the reader's language, the detail in English
    r = w["lessor"].post("/api/v1/leases", json=offer_body(w, schedule="hybrid", rate_minor_per_hour=0), headers=zh)
    body = r.get_json()
    assert r.status_code == 422 and body["detail"] == "A hybrid schedule needs a fixed part above zero."
    assert set(body["errors"]) == {"fixed_minor", "rate_minor_per_hour"}
    assert all(not msg[0].isascii() for msg in body["errors"].values()), body["errors"]
    lease = signed_lease(w)
    r = w["lessee"].post(f"/api/v1/leases/{lease['id']}/disburse", headers=zh)
    assert r.status_code == 403 and r.get_json()["detail"] == "Only the lessor disburses a lease."
    r = w["lessor"].post(f"/api/v1/leases/{lease['id']}/sign", json={"accept": True}, headers=zh)
    assert r.status_code == 403 and r.get_json()["detail"] == "Only the lessee signs or declines a lease offer."
    # the portal flashes the same refusal in the reader's language
    client = app.test_client()
    assert client.post("/login", data={"email": w["owner"].email, "password": "correct-horse-1"},
                       headers=zh).status_code == 302
    page = client.post(f"/leases/{lease['id']}/disburse", headers=zh, follow_redirects=True).get_data(as_text=True)
    assert "Only the lessor disburses a lease." not in page
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        assert gettext("Only the lessor disburses a lease.") in page
