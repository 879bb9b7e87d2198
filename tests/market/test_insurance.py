"""Usage-based insurance: the premium is priced by a documented, monotone tariff from the
machine's ledger-committed summaries and telemetry (a property test: it never falls when the
downtime share rises, other things equal); the insured sees which factors moved it; a downtime
claim pre-filled from the state intervals verifies against the ledger in another process
(`python -m ledger verify-evidence`) and tampering fails; consent-gated offers; only insurer
and insured see a policy (404 for everyone else); bad input refused with fields, nothing
written, on SQLite and PostgreSQL. The clock is injected: simulated days, not the wall."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import FACTORY

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 on 1 March in Shanghai: the offer
RATE = 50_000  # 500.00 yuan per down hour
SUM = 200_000_000  # 2,000,000.00 yuan insured


@pytest.fixture
def world(app, api, tenant):
    return make_world(app, api, tenant)


def make_world(app, api, tenant) -> dict:
    """Two factories, two insurers, a lender and a buyer; the insured consented to the first insurer."""
    owner, other = tenant("factory", "Insured Works"), tenant("factory", "Other Works")
    insurer, insurer_b = tenant("insurer", "Ping An Property (test)"), tenant("insurer", "Insurer B")
    lender, buyer = tenant("lender", "Bank"), tenant("buyer", "Buyer")
    insured = api(owner)
    factory = insured.post("/api/v1/factories", json={**FACTORY, "timezone": "Asia/Shanghai"}).get_json()
    machine = insured.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "VMC-850",
                                                     "processes": ["cnc_milling_3ax"]}).get_json()
    other_api = api(other)
    other_factory = other_api.post("/api/v1/factories", json={**FACTORY, "name": "Other"}).get_json()
    other_machine = other_api.post("/api/v1/machines", json={"factory_id": other_factory["id"], "name": "Lathe",
                                                            "processes": ["cnc_turning"]}).get_json()
    consent = insured.post("/api/v1/credit/consents", json={
        "factory_id": factory["id"], "lender_id": str(insurer.actor.org_public_id), "purpose": "insurance"})
    assert consent.status_code == 201, consent.get_json()
    with app.app_context():  # granted before the simulated days begin (the tests' clock is injected)
        from market.credit.models import Consent
        from market.db import unit_of_work

        with unit_of_work() as s:
            s.scalar(select(Consent)).valid_from = T0 - timedelta(days=90)
            s.commit()
    return {"insured": insured, "insurer": api(insurer), "insurer_b": api(insurer_b), "other": other_api,
            "lender": api(lender), "buyer": api(buyer), "factory": factory, "machine": machine,
            "other_factory": other_factory, "other_machine": other_machine, "owner": owner,
            "insurer_tenant": insurer, "other_tenant": other}


def body(w, **over):
    return {"factory_id": w["factory"]["id"], "machine_id": w["machine"]["id"], "coverage": "breakdown",
            "term_months": 3, "start_day": "2026-03-01", "sum_insured_minor": SUM, "rate_minor_per_hour": RATE,
            "deductible_hours": 2, **over}


def offer(app, w, now=T0, **over):
    """Offer through the service with the clock injected (the API reads the wall clock)."""
    from market.insurance import services

    with app.test_request_context():  # a refusal's message is translated for the request
        return services.offer(w["insurer_tenant"].actor, **_loaded(body(w, **over)), now=now)


def _loaded(data: dict) -> dict:
    from market.insurance.schemas import PolicyIn

    return PolicyIn().load(data)


def issued(app, w, **over):
    p = offer(app, w, **over)
    r = w["insured"].post(f"/api/v1/insurance-policies/{p.public_id}/accept", json={"accept": True})
    assert r.status_code == 200 and r.get_json()["status"] == "active", r.get_json()
    return r.get_json()


def ledger_size(app) -> int:
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        return get_ledger().store.size(s.connection())


def verify_in_another_process(bundle: dict, tmp_path, name: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return subprocess.run([sys.executable, "-m", "ledger", "verify-evidence", str(path)], capture_output=True, text=True)


# --- the tariff -----------------------------------------------------------------------------

MEASURE = st.one_of(st.none(), st.decimals(min_value=0, max_value=2000, places=4, allow_nan=False,
                                           allow_infinity=False))
SHARE = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
COVERAGE = st.sampled_from(("breakdown", "warranty"))
SUMS = st.integers(min_value=1, max_value=10**13)


def _inputs(others: dict, **over):
    from market.insurance.tariff import RatingInputs

    return RatingInputs(**{**others, **over})


OTHERS = st.fixed_dictionaries({"run_hours": MEASURE, "load": MEASURE, "mttr_hours": MEASURE, "maintenance": MEASURE})


@settings(max_examples=300, deadline=None)
@given(OTHERS, SHARE, SHARE, COVERAGE, SUMS)
def test_the_premium_never_falls_when_the_downtime_share_rises_other_things_equal(others, a, b, coverage, insured):
    from market.insurance.tariff import rate

    low, high = sorted((a, b))
    cheap = rate(coverage, insured, _inputs(others, downtime_share=low))
    dear = rate(coverage, insured, _inputs(others, downtime_share=high))
    assert dear.premium_minor >= cheap.premium_minor, (cheap, dear)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({"run_hours": MEASURE, "load": MEASURE, "downtime_share": MEASURE,
                              "mttr_hours": MEASURE, "maintenance": MEASURE}),
       st.sampled_from(("run_hours", "load", "mttr_hours", "maintenance")),
       st.decimals(min_value=0, max_value=2000, places=4), st.decimals(min_value=0, max_value=2000, places=4),
       COVERAGE, SUMS)
def test_every_other_measure_moves_the_premium_only_in_its_documented_direction(others, name, a, b, coverage, insured):
    from market.insurance.tariff import rate

    low, high = sorted((a, b))
    lo = rate(coverage, insured, _inputs(others, **{name: low})).premium_minor
    hi = rate(coverage, insured, _inputs(others, **{name: high})).premium_minor
    if name == "maintenance":  # maintenance records earn a discount
        assert hi <= lo
    else:
        assert hi >= lo


def test_the_documented_tariff_gives_these_premiums():
    """Known answers from docs/insurance.md's table: base 40 bp (breakdown) or 25 bp (warranty)
    of the sum insured per month times the factors; unknown measures are neutral."""
    from market.insurance.tariff import RatingInputs, rate

    neutral = rate("breakdown", SUM, RatingInputs())
    assert (neutral.base_minor, neutral.multiplier, neutral.premium_minor) == (800_000, "1.0000", 800_000)
    worst = rate("breakdown", SUM, RatingInputs(run_hours=Decimal(900), load=Decimal(120), downtime_share=Decimal("0.5"),
                                                mttr_hours=Decimal(30), maintenance=Decimal(0)))
    assert [f.factor for f in worst.factors] == ["1.2000", "1.2000", "2.0000", "1.5000", "1.0000"]
    assert worst.premium_minor == 800_000 * 432 // 100  # x4.32
    best = rate("warranty", SUM, RatingInputs(run_hours=Decimal(0), load=Decimal(20), downtime_share=Decimal(0),
                                              mttr_hours=Decimal(0), maintenance=Decimal(9)))
    assert best.multiplier == "0.5760" and best.premium_minor == 500_000 * 576 // 1000
    mid = rate("breakdown", SUM, RatingInputs(downtime_share=Decimal("0.05"), mttr_hours=Decimal(4)))
    assert [f.factor for f in mid.factors][2:4] == ["1.2000", "1.2000"] and mid.premium_minor == 1_152_000
    with pytest.raises(ValueError):
        RatingInputs(downtime_share=Decimal(-1))


# --- policies, premiums and the factors the insured sees ------------------------------------

def _committed_days(app, machine_pk, factory_pk, days: dict[date, dict], now: datetime):
    """Store machine days (state -> seconds) and let telemetry commit their summaries."""
    from market.db import unit_of_work
    from market.telemetry import rollup
    from market.telemetry.models import MachineDay

    with app.app_context():
        with unit_of_work() as s:
            for day, seconds in days.items():
                s.add(MachineDay(machine_id=machine_pk, factory_id=factory_pk, day=day, seconds=seconds,
                                 run_total_s=seconds.get("running", 0)))
            s.commit()
        with unit_of_work() as s:
            rollup.summarize(s, factory_pk, now)
            s.commit()


def test_premiums_follow_the_committed_downtime_and_the_insured_sees_which_factor_moved_it(app, world):
    from market.db import unit_of_work
    from market.insurance import premiums
    from market.insurance.models import Policy, PremiumInvoice

    w = world
    p = issued(app, w)
    with app.app_context(), unit_of_work() as s:
        row = s.scalar(select(Policy))
        machine_pk, factory_pk = row.machine_id, row.factory_id
    # February: 8 h a day running, no downtime; March: 6 h running and 2 h down a day
    feb = {date(2026, 2, 1) + timedelta(n): {"running": 8 * 3600, "idle": 16 * 3600} for n in range(28)}
    mar = {date(2026, 3, 1) + timedelta(n): {"running": 6 * 3600, "down": 2 * 3600, "idle": 16 * 3600} for n in range(31)}
    _committed_days(app, machine_pk, factory_pk, {**feb, **mar}, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
    with app.app_context():
        assert premiums.issue_premiums(now=datetime(2026, 2, 27, 4, tzinfo=timezone.utc)) == 0  # not started
        assert premiums.issue_premiums(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc)) == 2  # March and April
        assert premiums.issue_premiums(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc)) == 0  # once per period
    listed = w["insured"].get(f"/api/v1/insurance-policies/{p['id']}/premiums").get_json()["items"]
    assert [(x["period_start"], x["due_on"]) for x in listed] == [("2026-03-01", "2026-03-16"), ("2026-04-01", "2026-04-16")]
    march, april = ({f["name"]: f for f in x["quote"]["factors"]} for x in listed)
    # March is rated on February (28 days, 8 run hours a day: 240 per 30 days, no downtime)
    assert march["run_hours"]["measure"] == "240.0000" and march["downtime_share"]["factor"] == "1.0000"
    # April on the 59 days of February and March: 2 h down on 31 of them
    share = Decimal(31 * 2 * 3600) / (59 * 86400)
    assert april["downtime_share"]["measure"] == str(share.quantize(Decimal("0.0001")))
    assert Decimal(april["downtime_share"]["factor"]) > 1 and listed[1]["premium_minor"] > listed[0]["premium_minor"]
    assert april["load"]["measure"] is None and april["load"]["factor"] == "1.0000"  # no readings: neutral
    # the premium is the committed quote: it opens the premium entry's commitment
    with app.app_context(), unit_of_work() as s:
        from ledger.disclosure import opens
        from market.journal.ledger import get_ledger

        inv = s.scalar(select(PremiumInvoice).where(PremiumInvoice.period_no == 1))
        entry = json.loads(get_ledger().store.entry(s.connection(), inv.ledger_index))
        assert entry["event"]["type"] == "insurance.premium_invoiced"
        assert opens(entry["event"]["data"]["commitment"], inv.committed, inv.salt)
        assert inv.committed["premium_minor"] == listed[1]["premium_minor"] and "premium_minor" not in json.dumps(entry)
    # the insured's page explains the move in both languages
    client = app.test_client()
    assert client.post("/login", data={"email": w["owner"].email, "password": "correct-horse-1"}).status_code == 302
    for lang, words in (("en", ("Premiums and why they moved", "Downtime share", "from the ledger")),
                        ("zh-CN", ("保费及其变动原因", "停机占比", "来自账本"))):
        page = client.get(f"/insurance/{p['id']}", headers={"Accept-Language": lang}).get_data(as_text=True)
        for word in words:
            assert word in page, (lang, word)
        assert f"+{(Decimal(april['downtime_share']['factor']) - 1).quantize(Decimal('0.0001'))}" in page


def test_only_the_insurer_and_the_insured_see_a_policy_everyone_else_gets_404(app, world):
    w = world
    p = issued(app, w)
    pid = p["id"]
    for who in ("insurer", "insured"):
        assert w[who].get(f"/api/v1/insurance-policies/{pid}").status_code == 200
        assert w[who].get(f"/api/v1/insurance-policies/{pid}/premiums").status_code == 200
        assert [x["id"] for x in w[who].get("/api/v1/insurance-policies").get_json()["items"]] == [pid]
    for who in ("insurer_b", "other", "lender", "buyer"):
        for url in (f"/api/v1/insurance-policies/{pid}", f"/api/v1/insurance-policies/{pid}/premiums",
                    f"/api/v1/insurance-policies/{pid}/claims", f"/api/v1/insurance-policies/{pid}/claim-candidates"):
            assert w[who].get(url).status_code == 404, (who, url)
        assert w[who].post(f"/api/v1/insurance-policies/{pid}/accept", json={"accept": True}).status_code == 404
        assert w[who].post(f"/api/v1/insurance-policies/{pid}/claims", json={
            "start_at": "2026-03-02T00:00:00Z", "end_at": "2026-03-02T01:00:00Z"}).status_code == 404
        assert w[who].get("/api/v1/insurance-policies").get_json()["items"] == []
    # an insurer without the factory's consent cannot even offer: the factory is not found for it
    r = w["insurer_b"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01"))
    assert r.status_code == 404 and "factory_id" in r.get_json()["errors"]
    # a lender is no insurer; the insured does not offer, the insurer does not accept
    assert w["lender"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01")).status_code == 403
    second = offer(app, w, coverage="warranty", rate_minor_per_hour=0, deductible_hours=0)
    assert w["insurer"].post(f"/api/v1/insurance-policies/{second.public_id}/accept",
                             json={"accept": True}).status_code == 403
    # a revoked consent: no new offers
    consent_id = w["insured"].get("/api/v1/credit/consents").get_json()["items"][0]["id"]
    assert w["insured"].post(f"/api/v1/credit/consents/{consent_id}/revoke").status_code == 200
    r = w["insurer"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01"))
    assert r.status_code == 404 and "factory_id" in r.get_json()["errors"]


@pytest.mark.parametrize("over, field, status", [
    ({"machine_id": "OTHER"}, "machine_id", 422),  # another factory's machine
    ({"factory_id": "OTHER_FACTORY", "machine_id": "OTHER"}, "factory_id", 404),  # a factory that gave no consent
    ({"sum_insured_minor": -1}, "sum_insured_minor", 422),
    ({"sum_insured_minor": 0}, "sum_insured_minor", 422),
    ({"sum_insured_minor": 10**13 + 1}, "sum_insured_minor", 422),  # over the bound every amount has
    ({"sum_insured_minor": 2**63}, "sum_insured_minor", 422),  # would overflow BIGINT
    ({"sum_insured_minor": 12.5}, "sum_insured_minor", 422),
    ({"rate_minor_per_hour": -50_000}, "rate_minor_per_hour", 422),
    ({"rate_minor_per_hour": 0}, "rate_minor_per_hour", 422),  # a breakdown policy pays per down hour
    ({"coverage": "warranty"}, "rate_minor_per_hour", 422),  # a warranty has no hourly indemnity
    ({"deductible_hours": 721}, "deductible_hours", 422),
    ({"term_months": 0}, "term_months", 422),
    ({"start_day": "2026-02-28"}, "start_day", 422),  # before today
    ({"start_day": "2026-04-15"}, "start_day", 409),  # overlaps the policy already on the machine
    ({"coverage": "fire"}, "coverage", 422),
])
def test_bad_offers_are_refused_with_the_field_and_nothing_is_written(app, world, over, field, status):
    from market import errors
    from market.db import unit_of_work
    from market.insurance.models import Policy

    w = world
    offer(app, w)  # March to June on the machine
    subst = {"OTHER": w["other_machine"]["id"], "OTHER_FACTORY": w["other_factory"]["id"]}
    data = body(w, **{k: subst.get(v, v) if isinstance(v, str) else v for k, v in over.items()})
    before = ledger_size(app)
    try:
        offer(app, w, **{k: v for k, v in data.items() if k in over})
        refused = None
    except errors.DomainError as exc:
        refused = exc
    except Exception as exc:  # marshmallow's refusal of the body, as the API gives it
        import marshmallow as ma

        assert isinstance(exc, ma.ValidationError), exc
        refused = exc
    assert refused is not None
    if status != 409 and over.get("start_day") is None:  # the same body through the API (wall clock: later days)
        r = w["insurer"].post("/api/v1/insurance-policies", json={**data, "start_day": "2031-01-01"},
                              headers={"Accept-Language": "zh-CN"})
        assert r.status_code == status and field in r.get_json()["errors"], r.get_json()
    else:
        assert field in (getattr(refused, "errors", None) or getattr(refused, "messages", {})), refused
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Policy.id))) == 1
    assert ledger_size(app) == before


def test_refusals_speak_the_users_language(world):
    w = world
    zh = w["insurer"].post("/api/v1/insurance-policies", json=body(w, machine_id=w["other_machine"]["id"],
                                                                   start_day="2031-01-01"),
                           headers={"Accept-Language": "zh-CN"}).get_json()
    en = w["insurer"].post("/api/v1/insurance-policies", json=body(w, machine_id=w["other_machine"]["id"],
                                                                   start_day="2031-01-01"),
                           headers={"Accept-Language": "en"}).get_json()
    assert en["errors"]["machine_id"] == ["This machine is not one of the factory's machines."]
    assert zh["errors"]["machine_id"] != en["errors"]["machine_id"] and "设备" in zh["errors"]["machine_id"][0]


def test_the_database_itself_refuses_negative_sums_and_approvals_over_the_claim(app, world):
    """What a bug would write past the services: refused by CHECK constraints on both databases."""
    from sqlalchemy.exc import IntegrityError

    from market.db import unit_of_work
    from market.insurance.models import Policy

    w = world
    first = offer(app, w)
    with app.app_context():
        with unit_of_work() as s:
            row = s.scalar(select(Policy).where(Policy.public_id == first.public_id))
            columns = {c.key: getattr(row, c.key) for c in Policy.__table__.columns if c.key not in ("id", "public_id")}
        for change in ({"sum_insured_minor": -1}, {"sum_insured_minor": 0}, {"rate_minor_per_hour": -1},
                       {"deductible_hours": 721}, {"end_day": columns["start_day"]}, {"coverage": "fire"},
                       {"sum_insured_minor": 2**63}):
            with unit_of_work() as s:
                s.add(Policy(public_id=uuid.uuid4(), **{**columns, **change}))
                with pytest.raises((IntegrityError, OverflowError, Exception)) as caught:
                    s.commit()
                assert "IntegrityError" in type(caught.value).__name__ or "Overflow" in repr(caught.value) \
                    or "out of range" in str(caught.value), caught.value
        with unit_of_work() as s:
            big = Policy(public_id=uuid.uuid4(), **{**columns, "sum_insured_minor": 10**13, "status": "declined"})
            s.add(big)
            s.commit()
            assert s.scalar(select(Policy.sum_insured_minor).where(Policy.id == big.id)) == 10**13  # past 2^31


# --- claims: pre-filled from telemetry, verified against the ledger elsewhere ---------------

def test_a_claims_loss_window_verifies_against_the_ledger_in_another_process_and_tampering_fails(app, world, tmp_path):
    from market.db import unit_of_work
    from market.insurance import claims
    from market.insurance.models import Policy
    from market.telemetry.models import MachineDay
    from market.telemetry.simulation import load_history

    w = world
    p = issued(app, w)
    end = datetime(2026, 3, 22, 4, tzinfo=timezone.utc)  # noon on 22 March: 1-20 March are closed
    insured = w["owner"].actor
    with app.app_context():
        with unit_of_work() as s:
            machine_pk = s.scalar(select(Policy.machine_id))
        assert load_history([machine_pk], days=21, end=end) > 0
        found = claims.candidates(insured, uuid.UUID(p["id"]), now=end)
        assert found, "three simulated weeks have breakdowns"
        cand = max(found, key=lambda c: c.seconds)
        assert all(uuid.UUID(p["id"]) and c.end_at <= datetime(2026, 3, 20, 16, tzinfo=timezone.utc) for c in found)
        claim = claims.file_claim(insured, uuid.UUID(p["id"]), start_at=cand.start_at, end_at=cand.end_at, now=end)
        assert claim.down_s == cand.seconds and claim.claimed_minor == cand.indemnity_minor
        # the same window again, or a part of it: refused
        with pytest.raises(Exception) as again:
            claims.file_claim(insured, uuid.UUID(p["id"]), start_at=cand.start_at, end_at=cand.end_at, now=end)
        assert "start_at" in again.value.errors
        assert all(c.start_at != cand.start_at for c in claims.candidates(insured, uuid.UUID(p["id"]), now=end))
        with unit_of_work() as s:
            committed_down = {d.day.isoformat(): d.committed["down_s"] for d in s.scalars(
                select(MachineDay).where(MachineDay.machine_id == machine_pk, MachineDay.ledger_index.is_not(None)))}
    expected = Decimal(RATE) * max(Decimal(0), Decimal(cand.seconds) / 3600 - 2)
    assert claim.claimed_minor == min(SUM, int(expected.quantize(Decimal(1))))
    assert all(sec <= committed_down[day] for day, sec in claim.days.items())
    # the insurer fetches the evidence and verifies it in a process of its own
    bundle = w["insurer"].get(f"/api/v1/insurance-claims/{claim.public_id}/evidence").get_json()
    assert bundle["subject"]["down_s"] == cand.seconds
    done = verify_in_another_process(bundle, tmp_path, "claim")
    assert done.returncode == 0 and done.stdout.startswith("OK"), done.stdout + done.stderr
    assert verify_in_another_process(w["insured"].get(f"/api/v1/insurance-claims/{claim.public_id}/evidence").get_json(),
                                     tmp_path, "insured").returncode == 0
    # probes that must fail: a day's summary changed in transit, more downtime claimed than the
    # day committed, a stretched loss window, an inflated indemnity
    day_k = 2
    probes = {}
    t = json.loads(json.dumps(bundle))
    t["disclosures"][day_k]["payload"]["down_s"] += 3600
    probes["summary"] = (t, f"disclosure {day_k}")
    t = json.loads(json.dumps(bundle))
    d0 = t["disclosures"][day_k]["payload"]["day"]
    t["disclosures"][1]["payload"]["days"][d0] += 3600
    probes["claimed"] = (t, "disclosure 1")
    t = json.loads(json.dumps(bundle))
    t["facts"][1]["value"] = str(Decimal(t["facts"][1]["value"]) + 1)
    probes["indemnity"] = (t, "indemnity_minor")
    t = json.loads(json.dumps(bundle))
    t["facts"][0]["window"]["start"] = t["facts"][0]["window"]["end"]
    probes["window"] = (t, "outside the window")
    for name, (tampered, said) in probes.items():
        done = verify_in_another_process(tampered, tmp_path, f"tampered-{name}")
        assert done.returncode != 0 and said in done.stdout + done.stderr, (name, done.stdout + done.stderr)
    # the insurer decides; the insured cannot
    assert w["insured"].post(f"/api/v1/insurance-claims/{claim.public_id}/decision",
                             json={"approve": True}).status_code == 403
    over = w["insurer"].post(f"/api/v1/insurance-claims/{claim.public_id}/decision",
                             json={"approve": True, "approved_minor": claim.claimed_minor + 1})
    assert over.status_code == 422 and "approved_minor" in over.get_json()["errors"]
    assert w["insurer"].post(f"/api/v1/insurance-claims/{claim.public_id}/decision",
                             json={"approve": False}).status_code == 422  # a rejection says why
    decided = w["insurer"].post(f"/api/v1/insurance-claims/{claim.public_id}/decision", json={"approve": True}).get_json()
    assert decided["status"] == "approved" and decided["approved_minor"] == claim.claimed_minor
    assert decided["decided_ledger_index"] is not None
    for who in ("insurer_b", "other", "lender", "buyer"):
        assert w[who].get(f"/api/v1/insurance-claims/{claim.public_id}").status_code == 404
        assert w[who].get(f"/api/v1/insurance-claims/{claim.public_id}/evidence").status_code == 404


def test_a_summary_edited_in_the_database_before_the_claim_does_not_verify(app, world, tmp_path):
    """The insurer need not trust the platform: a day summary changed after it was committed
    (more downtime than the machine had) no longer opens its ledger commitment."""
    from market.db import unit_of_work
    from market.insurance import claims
    from market.insurance.models import Policy
    from market.telemetry.models import MachineDay, StateInterval

    w = world
    p = issued(app, w)
    now = datetime(2026, 3, 6, 4, tzinfo=timezone.utc)
    with app.app_context():
        with unit_of_work() as s:
            row = s.scalar(select(Policy))
            machine_pk, factory_pk = row.machine_id, row.factory_id
            # 3 March (Shanghai): down from 10:00 to 16:00
            s.add(StateInterval(machine_id=machine_pk, factory_id=factory_pk, day=date(2026, 3, 3),
                                start_at=datetime(2026, 3, 3, 2, tzinfo=timezone.utc),
                                end_at=datetime(2026, 3, 3, 8, tzinfo=timezone.utc), state="down", reason="spindle_fault"))
            s.commit()
    _committed_days(app, machine_pk, factory_pk, {date(2026, 3, 3): {"down": 6 * 3600, "idle": 18 * 3600}}, now)
    with app.app_context():
        with unit_of_work() as s:
            day = s.scalar(select(MachineDay).where(MachineDay.machine_id == machine_pk))
            day.committed = {**day.committed, "down_s": day.committed["down_s"] + 7200}  # after the fact
            s.add(StateInterval(machine_id=machine_pk, factory_id=factory_pk, day=date(2026, 3, 3),
                                start_at=datetime(2026, 3, 3, 8, tzinfo=timezone.utc),
                                end_at=datetime(2026, 3, 3, 10, tzinfo=timezone.utc), state="down", reason="spindle_fault"))
            s.commit()
        [cand] = claims.candidates(w["owner"].actor, uuid.UUID(p["id"]), now=now)
        assert cand.seconds == 8 * 3600
        claim = claims.file_claim(w["owner"].actor, uuid.UUID(p["id"]), start_at=cand.start_at, end_at=cand.end_at,
                                  now=now)
    bundle = w["insurer"].get(f"/api/v1/insurance-claims/{claim.public_id}/evidence").get_json()
    done = verify_in_another_process(bundle, tmp_path, "edited")
    assert done.returncode != 0 and "do not open the commitment" in done.stdout + done.stderr, done.stdout


@pytest.mark.parametrize("window, field", [
    (("2026-03-03T02:00:00Z", "2026-03-03T02:00:00Z"), "end_at"),  # empty
    (("2026-02-20T00:00:00Z", "2026-02-20T05:00:00Z"), "start_at"),  # before the term
    (("2026-03-05T02:00:00Z", "2026-03-05T05:00:00Z"), "end_at"),  # a day not closed yet
    (("2026-03-02T02:00:00Z", "2026-03-02T05:00:00Z"), "start_at"),  # the machine was not down
])
def test_bad_claims_are_refused_with_the_field_and_nothing_is_written(app, world, window, field):
    from market import errors
    from market.db import unit_of_work
    from market.insurance import claims
    from market.insurance.models import Claim, Policy
    from market.telemetry.models import StateInterval

    w = world
    p = issued(app, w)
    now = datetime(2026, 3, 5, 4, tzinfo=timezone.utc)  # noon on 5 March: up to 4 March closed
    with app.app_context():
        with unit_of_work() as s:
            row = s.scalar(select(Policy))
            s.add(StateInterval(machine_id=row.machine_id, factory_id=row.factory_id, day=date(2026, 3, 3),
                                start_at=datetime(2026, 3, 3, 2, tzinfo=timezone.utc),
                                end_at=datetime(2026, 3, 3, 8, tzinfo=timezone.utc), state="down", reason=""))
            s.commit()
        before = ledger_size(app)
        with pytest.raises(errors.DomainError) as refused:
            claims.file_claim(w["owner"].actor, uuid.UUID(p["id"]), start_at=datetime.fromisoformat(window[0]),
                              end_at=datetime.fromisoformat(window[1]), now=now)
        assert field in refused.value.errors, refused.value
        with unit_of_work() as s:
            assert s.scalar(select(func.count(Claim.id))) == 0
    assert ledger_size(app) == before


# --- portal and notifications ---------------------------------------------------------------

@pytest.mark.parametrize("lang, label, shown", [("en", "Offer a policy", "¥2,000,000.50"),
                                                ("zh-CN", "提供保单", "¥2,000,000.50")])
def test_the_insurer_offers_in_major_units_and_the_insured_accepts_in_the_portal(app, world, lang, label, shown):
    from market.db import unit_of_work
    from market.insurance.models import Policy
    from tests.conftest import portal_day

    w = world
    headers = {"Accept-Language": lang}
    insurer = app.test_client()
    assert insurer.post("/login", data={"email": w["insurer_tenant"].email, "password": "correct-horse-1"},
                        headers=headers).status_code == 302
    page = insurer.get("/insurance", headers=headers).get_data(as_text=True)
    assert label in page and "VMC-850" in page and "Lathe" not in page  # only consenting factories' machines
    machine = f"{w['factory']['id']}/{w['machine']['id']}"
    r = insurer.post("/insurance", headers=headers, data={
        "machine": machine, "coverage": "breakdown", "start_day": portal_day(1), "term_months": "12",
        "sum_insured": "2,000,000.50", "rate_per_hour": "500", "deductible_hours": "2"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context(), unit_of_work() as s:
        p = s.scalar(select(Policy))
        assert (p.sum_insured_minor, p.rate_minor_per_hour, p.deductible_hours) == (200_000_050, 50_000, 2)
    detail = insurer.get(r.headers["Location"], headers=headers).get_data(as_text=True)
    assert shown in detail and "¥500.00" in detail
    # a typed amount that is not money, and another factory's machine: refused, nothing written
    for data in ({"machine": machine, "sum_insured": "1e400"},
                 {"machine": f"{w['factory']['id']}/{w['other_machine']['id']}", "sum_insured": "100"}):
        bad = insurer.post("/insurance", headers=headers, data={
            "coverage": "breakdown", "start_day": portal_day(400), "term_months": "12", "rate_per_hour": "5", **data})
        assert bad.status_code in (403, 404, 409, 422), bad.status_code  # the form again, as typed
        assert bad.status_code == 404 or f'value="{data["sum_insured"]}"' in bad.get_data(as_text=True)
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Policy.id))) == 1
    insured = app.test_client()
    assert insured.post("/login", data={"email": w["owner"].email, "password": "correct-horse-1"},
                        headers=headers).status_code == 302
    assert insured.post(f"/insurance/{p.public_id}/accept", data={"accept": "1"}, headers=headers).status_code == 302
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(Policy.status)) == "active"


CLAIMED_AT = datetime(2026, 3, 6, 4, tzinfo=timezone.utc)


def filed_claim(app, w, p: dict):
    """The insured machine down 6 h on 3 March (committed), the premium issued, and the
    insured's claim for that window filed on 6 March."""
    from market.db import unit_of_work
    from market.insurance import claims, premiums
    from market.insurance.models import Policy
    from market.telemetry.models import StateInterval

    with app.app_context():
        with unit_of_work() as s:
            row = s.scalar(select(Policy))
            machine_pk, factory_pk = row.machine_id, row.factory_id
            s.add(StateInterval(machine_id=machine_pk, factory_id=factory_pk, day=date(2026, 3, 3),
                                start_at=datetime(2026, 3, 3, 2, tzinfo=timezone.utc),
                                end_at=datetime(2026, 3, 3, 8, tzinfo=timezone.utc), state="down", reason=""))
            s.commit()
    _committed_days(app, machine_pk, factory_pk, {date(2026, 3, 3): {"down": 6 * 3600, "idle": 18 * 3600}}, CLAIMED_AT)
    with app.app_context():
        assert premiums.issue_premiums(now=CLAIMED_AT) == 1
        [cand] = claims.candidates(w["owner"].actor, uuid.UUID(p["id"]), now=CLAIMED_AT)
        return claims.file_claim(w["owner"].actor, uuid.UUID(p["id"]), start_at=cand.start_at, end_at=cand.end_at,
                                 now=CLAIMED_AT)


def test_the_parties_are_told_of_the_policy_the_premium_and_the_claim_and_nobody_else(app, world):
    from market.insurance import claims

    w = world
    p = issued(app, w)

    def kinds_of(who):
        return [n["kind"] for n in w[who].get("/api/v1/notifications").get_json()["items"]]

    assert "policy.issued" in kinds_of("insured") and "policy.issued" in kinds_of("insurer")
    now = CLAIMED_AT
    claim = filed_claim(app, w, p)
    with app.app_context():
        assert claim.claimed_minor == 4 * RATE  # 6 h down, 2 h deductible
        claims.decide(w["insurer_tenant"].actor, claim.public_id, approve=False, reason="wear, not a breakdown", now=now)
    assert {"premium.invoiced", "claim.decided"} <= set(kinds_of("insured"))
    assert "claim.filed" in kinds_of("insurer")
    for who in ("insurer_b", "other", "lender"):
        assert not {"policy.issued", "premium.invoiced", "claim.filed", "claim.decided"} & set(kinds_of(who))


def _shown(html: str) -> str:
    """The text a reader sees on a page: its text nodes and its controls' placeholders and titles."""
    import html as h
    import re

    attrs = re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', html)
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return h.unescape(body + "\n" + "\n".join(attrs))


def test_the_chinese_insurance_pages_show_no_english(app, world):
    from market.insurance import premiums
    from tests.e2e.ui_text import english_words

    w = world
    p = issued(app, w)
    with app.app_context():
        premiums.issue_premiums(now=datetime(2026, 3, 2, 4, tzinfo=timezone.utc))
    typed = ["VMC-850", "Insured Works", "Test Works", "Ping An Property (test)", "Suzhou", "Insurer B",
             "python -m ledger verify-evidence"]
    for tenant in (w["insurer_tenant"], w["owner"]):
        client = app.test_client()
        assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
        for url in ("/insurance", f"/insurance/{p['id']}", "/dashboard"):
            page = client.get(url, headers={"Accept-Language": "zh-CN"})
            assert page.status_code == 200, url
            words = english_words(_shown(page.get_data(as_text=True)), typed + [tenant.email, f"{tenant.kind} user"])
            assert not words, (tenant.kind, url, words)


def test_an_offer_sent_twice_with_one_idempotency_key_makes_one_policy(app, world):
    from market.db import unit_of_work
    from market.insurance.models import Policy

    w = world
    headers = {"Idempotency-Key": "offer-vmc-850-2031"}
    first = w["insurer"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01"), headers=headers)
    again = w["insurer"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01"), headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Policy.id))) == 1
    # without the key the same offer is a second policy over the same days: refused, 409
    third = w["insurer"].post("/api/v1/insurance-policies", json=body(w, start_day="2031-01-01"))
    assert third.status_code == 409 and "start_day" in third.get_json()["errors"]


def test_a_policy_is_exposure_in_the_credit_report_with_its_premium_behaviour(app, world):
    """Premiums invoiced and unpaid are what the factory owes its insurer: outstanding, overdue
    past their due day, and each paid premium counts on time or late (credit.exposure)."""
    from market.catalog.models import Factory
    from market.credit import exposure
    from market.db import unit_of_work
    from market.insurance import premiums

    w = world
    p = issued(app, w)
    with app.app_context():
        assert premiums.issue_premiums(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc)) == 2  # March and April

    def owed(today):
        with app.app_context(), unit_of_work() as s:
            f = s.scalar(select(Factory).where(Factory.public_id == uuid.UUID(w["factory"]["id"])))
            return exposure.report_exposure(s, f.id, "CNY", today)

    listed = w["insured"].get(f"/api/v1/insurance-policies/{p['id']}/premiums").get_json()["items"]
    march, april = (x["premium_minor"] for x in listed)
    before = owed(date(2026, 4, 2))  # March's premium is past its due day (16 March), April's is not
    assert before["products"]["policies"] == {"contracts": 1, "outstanding_minor": march + april,
                                              "overdue_minor": march,
                                              "behaviour": {"on_time": 0, "late": 0, "overdue": 1}}
    assert before["total_minor"] >= march + april
    paid = w["insurer"].post(f"/api/v1/insurance-premiums/{listed[0]['id']}/payment")  # the insurer confirms receipt
    assert paid.status_code == 200, paid.get_json()
    after = owed(date(2026, 4, 2))["products"]["policies"]
    assert (after["outstanding_minor"], after["overdue_minor"]) == (april, 0)
    assert after["behaviour"]["overdue"] == 0 and after["behaviour"]["on_time"] + after["behaviour"]["late"] == 1


@pytest.mark.parametrize("lang, asked", [("zh-CN", "按 ¥1,500.00 核准这笔理赔"), ("en", "Approve this claim for ¥1,500.00?")])
def test_the_insurer_confirms_a_claim_decision_with_the_amount_typed_before_it_is_made(app, world, lang, asked):
    """Deciding a claim cannot be taken back: the portal asks first (the confirm page without
    JavaScript), with the amount typed, and decides only when the confirmed form comes back."""
    from market.db import unit_of_work
    from market.insurance.models import Claim

    w = world
    claim = filed_claim(app, w, issued(app, w))
    headers = {"Accept-Language": lang}
    insurer = app.test_client()
    assert insurer.post("/login", data={"email": w["insurer_tenant"].email, "password": "correct-horse-1"},
                        headers=headers).status_code == 302
    url = f"/insurance-claims/{claim.public_id}/decision"
    page = insurer.post(url, data={"approve": "true", "approved": "1,500"}, headers=headers)
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and asked in shown and 'name="confirmed" value="1"' in shown
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(Claim.status)) == "filed"  # asked, not decided
    done = insurer.post(url, data={"approve": "true", "approved": "1,500", "confirmed": "1"}, headers=headers)
    assert done.status_code == 302
    with app.app_context(), unit_of_work() as s:
        assert s.execute(select(Claim.status, Claim.approved_minor)).one() == ("approved", 150_000)
