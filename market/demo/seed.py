"""A believable demo world, built through the same services users call.

Eight factories around Suzhou and Dongguan with 36 machines and capacity over the next
eight weeks, four buyers with orders in several states (one cancelled after acceptance), a
bill-of-materials order with a factory's bid and the buyer's counter-offer, an accepted order
one of whose operations its factory subcontracted, a lender whose portfolio holds two
consenting factories with reports and financing, and an operator.
Deterministic: the same world every time.
"""
from __future__ import annotations

import random
import time as time_
from datetime import time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from market.accounts import services as accounts
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog import services as catalog
from market.db import unit_of_work, utcnow
from market.catalog.models import Factory
from market.matching import services as matching
from market.orders import services as orders
from market.payments import execution as payments
from market.production import services as production

PASSWORD = "demo-password"

FACTORIES = [
    # name, region, lat, lon, certifications, machine kinds
    ("苏州精工机械 Suzhou Precision Machining", "Suzhou", 31.318, 120.627, ["ISO9001", "IATF16949"], ["mill5", "mill3", "mill3", "lathe", "grind"]),
    ("昆山华锐钣金 Kunshan Huarui Sheet Metal", "Suzhou", 31.385, 120.981, ["ISO9001"], ["laser", "bend", "bend", "weld"]),
    ("吴江表面处理 Wujiang Surface Finishing", "Suzhou", 31.160, 120.645, ["ISO9001", "ISO14001"], ["anodize", "powder", "plate", "blast"]),
    ("苏州工业园检测 SIP Metrology Lab", "Suzhou", 31.300, 120.720, ["ISO9001", "AS9100"], ["cmm", "cmm", "scan", "tensile"]),
    ("东莞长安模塑 Chang'an Molding", "Dongguan", 22.816, 113.806, ["ISO9001", "ISO13485"], ["mold", "mold", "mold", "assembly", "mold"]),
    ("东莞虎门五金 Humen Hardware", "Dongguan", 22.823, 113.674, ["ISO9001"], ["lathe", "lathe", "mill3", "swiss", "edm"]),
    ("松山湖电子组装 Songshan Lake Electronics", "Dongguan", 22.920, 113.890, ["ISO9001", "IATF16949"], ["smt", "smt", "assembly", "harness"]),
    ("东莞厚街热处理 Houjie Heat Treatment", "Dongguan", 22.940, 113.670, ["ISO9001", "NADCAP"], ["heat", "heat", "blast", "hardness"]),
]

MACHINES = {
    # kind: (model, processes, hourly rate in fen, pricing mode)
    "mill5": ("DMG MORI DMU 65 monoBLOCK", ["cnc_milling_5ax", "cnc_milling_3ax", "drilling_tapping"], 48000, "per_hour"),
    "mill3": ("Haas VF-4", ["cnc_milling_3ax", "drilling_tapping"], 22000, "per_hour"),
    "lathe": ("Mazak QT-250", ["cnc_turning", "drilling_tapping"], 18000, "per_hour"),
    "swiss": ("Citizen L20", ["swiss_turning", "cnc_turning"], 26000, "per_hour"),
    "grind": ("Okamoto ACC-63DX", ["surface_grinding", "cylindrical_grinding"], 20000, "per_hour"),
    "edm": ("Sodick AL400G", ["wire_edm", "sinker_edm"], 24000, "per_hour"),
    "laser": ("Trumpf TruLaser 3030", ["laser_cutting"], 30000, "per_hour"),
    "bend": ("Amada HG-1303", ["press_brake_bending"], 15000, "per_hour"),
    "weld": ("Fronius TPS 400i cell", ["mig_welding", "tig_welding"], 16000, "per_hour"),
    "anodize": ("Anodizing line 3 m", ["anodizing", "passivation"], 12000, "percent_of_value"),
    "powder": ("Wagner powder booth", ["powder_coating", "spray_painting"], 10000, "percent_of_value"),
    "plate": ("Zinc-nickel plating line", ["electroplating"], 11000, "percent_of_value"),
    "blast": ("Guyson blast cabinet", ["sandblasting", "polishing"], 8000, "per_hour"),
    "cmm": ("Zeiss Contura G2", ["cmm_inspection"], 35000, "per_hour"),
    "scan": ("GOM ATOS Q", ["3d_scanning"], 30000, "per_hour"),
    "tensile": ("Instron 5985", ["tensile_testing", "hardness_testing"], 25000, "per_hour"),
    "mold": ("Haitian MA2500", ["injection_molding"], 14000, "per_piece"),
    "assembly": ("Assembly cell", ["mechanical_assembly", "packaging"], 9000, "per_hour"),
    "smt": ("Yamaha YSM20R line", ["smt_assembly"], 40000, "per_hour"),
    "harness": ("Komax Zeta 633", ["wire_harness"], 12000, "per_hour"),
    "heat": ("Ipsen vacuum furnace", ["heat_treatment"], 20000, "percent_of_value"),
    "hardness": ("Wilson Rockwell tester", ["hardness_testing"], 9000, "per_hour"),
}

BUYERS = ["博世汽车部件 Bosch Auto Parts (demo)", "深圳无人机 Shenzhen Drone Works", "上海医疗器械 Shanghai MedDevice",
          "杭州机器人 Hangzhou Robotics"]

ORDERS = [
    # title, part, material, qty, days to due, budget fen, operations, final state
    ("Gearbox housing", "GH-2207", "AlSi10Mg", 200, 30, 9_800_000,
     [("cnc_milling_5ax", 90, "6.5"), ("anodizing", 30, "0.8"), ("cmm_inspection", 20, "2.0")], "open"),
    ("Drone arm bracket", "DA-114", "6061-T6", 1500, 21, 4_500_000,
     [("cnc_milling_3ax", 60, "2.2"), ("sandblasting", 15, "0.3"), ("anodizing", 30, "0.4")], "open"),
    ("Infusion pump shell", "IP-88", "PC/ABS", 2000, 40, 4_000_000,
     [("injection_molding", 240, "0.45"), ("mechanical_assembly", 30, "1.2"), ("packaging", 10, "0.2")], "quoted"),
    ("Robot joint shaft", "RJ-S3", "42CrMo4", 600, 35, 7_200_000,
     [("cnc_turning", 45, "4.0"), ("heat_treatment", 60, "0.5"), ("cylindrical_grinding", 40, "3.0")], "accepted"),
    ("Sensor PCBA", "SP-2", "FR4", 5000, 25, 15_000_000,
     [("smt_assembly", 120, "0.6"), ("wire_harness", 30, "0.9")], "in_production"),
    ("Enclosure panel", "EP-40", "SPCC 1.5 mm", 800, 18, 3_600_000,
     [("laser_cutting", 30, "1.1"), ("press_brake_bending", 20, "1.5"), ("powder_coating", 30, "0.7")], "shipped"),
    ("Valve body", "VB-9", "316L", 300, 12, 5_400_000,
     [("cnc_turning", 40, "5.0"), ("passivation", 20, "0.5")], "delivered"),
    ("Mounting plate prototype", "MP-1", "Al 5052", 20, 50, 600_000,
     [("cnc_milling_3ax", 30, "12.0")], "draft"),
    ("Cable tray", "CT-7", "Galvanised steel 1.2 mm", 400, 28, 2_400_000,
     [("laser_cutting", 30, "0.8"), ("press_brake_bending", 20, "1.0")], "cancelled"),  # the buyer withdrew after accepting
]

# how far each demo order gets, in the order of the real flow
FLOW = ("open", "quoted", "accepted", "in_production", "shipped", "delivered")


def is_empty() -> bool:
    with unit_of_work() as s:
        return not s.scalar(select(func.count(Organization.id)))


def _account(kind: str, org_name: str, email: str, person: str) -> Actor:
    return accounts.sign_up(email=email, password=PASSWORD, name=person, organization_name=org_name, kind=kind).actor


def _operator() -> Actor:
    with unit_of_work() as s:
        org = Organization(kind="operator", name="平台运营 Marketplace Operations")
        s.add(org)
        s.commit()
        org_id = org.id
    user = accounts.create_user(organization_id=org_id, email="operator@demo.local", password=PASSWORD,
                                name="Olivia Operator", role="owner")
    return accounts.actor_of_id(user.id)


def seed_world(history_days: int = 90) -> None:
    """`history_days` of machine data (tests that need the whole world, not its history, ask for less)."""
    rng = random.Random(7)
    today = utcnow().astimezone().date()
    operator = _operator()
    factory_orgs = []
    for i, (name, region, lat, lon, certs, kinds) in enumerate(FACTORIES, start=1):
        actor = _account("factory", name, f"factory{i}@demo.local", f"Factory manager {i}")
        factory_orgs.append(actor)
        factory = catalog.create_factory(actor, {
            "name": name, "address": f"{region} industrial park, building {i}", "latitude": lat,
            "longitude": lon, "region": region, "timezone": "Asia/Shanghai", "certifications": certs,
            "description": f"{name}: contract manufacturing with spare capacity on nights and weekends."})
        for n, kind in enumerate(kinds, start=1):
            model, processes, rate, mode = MACHINES[kind]
            machine = catalog.create_machine(actor, {
                "factory_id": factory.public_id, "name": f"{kind.upper()}-{n:02d}", "model": model,
                "processes": processes, "hourly_rate_minor": rate, "currency": "CNY"})
            price = {"per_hour": rate, "per_piece": rate // 200, "percent_of_value": 800 + rng.randrange(0, 700, 50)}[mode]
            # weekday night shifts and weekend day shifts for the next eight weeks
            catalog.create_recurring_windows(actor, {
                "machine_id": machine.public_id, "first_date": today, "weeks": 8, "weekdays": [0, 1, 2, 3, 4],
                "start_time": time(20), "end_time": time(6), "pricing_mode": mode, "price": price,
                "currency": "CNY", "min_lot": 1 if mode != "per_piece" else 500, "lead_time_days": rng.choice([1, 2, 3])})
            if rng.random() < 0.6:
                catalog.create_recurring_windows(actor, {
                    "machine_id": machine.public_id, "first_date": today, "weeks": 8, "weekdays": [5, 6],
                    "start_time": time(8), "end_time": time(18), "pricing_mode": mode, "price": price * 9 // 10,
                    "currency": "CNY", "min_lot": 1 if mode != "per_piece" else 500, "lead_time_days": 2})

    buyers = [_account("buyer", name, f"buyer{i}@demo.local", f"Buyer {i}") for i, name in enumerate(BUYERS, start=1)]
    for n, (title, part, material, qty, days, budget, ops, final) in enumerate(ORDERS):
        buyer = buyers[n % len(buyers)]
        order = orders.create_order(buyer, {
            "title": title, "part_number": part, "material": material, "quantity": qty,
            "due_at": utcnow() + timedelta(days=days), "budget_minor": budget,
            "declared_value_minor": budget * 6 // 10, "currency": "CNY",  # parts worth 60 % of the ceiling
            "delivery_address": "Shanghai, Pudong" if n % 2 else "Shenzhen, Nanshan", "required_certifications": ["ISO9001"],
            "operations": [{"process_code": p, "setup_minutes": s, "run_minutes_per_unit": Decimal(r)} for p, s, r in ops],
            "submit": final != "draft"})
        if final != "draft":
            for f in rng.sample(range(len(factory_orgs)), 2):
                orders.invite_factory(buyer, order.public_id, _first_factory_id(factory_orgs[f]))
        reached = "accepted" if final == "cancelled" else final  # cancelled after acceptance
        if final != "draft" and FLOW.index(reached) >= FLOW.index("quoted"):
            _quote(buyer, order.public_id)
        if final != "draft" and FLOW.index(reached) >= FLOW.index("accepted"):
            _accept_and_make(buyer, operator, order.public_id, reached, factory_orgs, rng)
        if final == "cancelled" and orders.get_order(buyer, order.public_id).state == "accepted":
            orders.transition(buyer, order.public_id, "cancelled", "Project stopped by our customer.")
        if final != "draft":
            orders.post_message(buyer, order.public_id, "Drawings to follow; please confirm the tolerance on op 1.")
    _collaboration(buyers, factory_orgs, operator)
    lender = _account("lender", "苏州农商银行 Suzhou Rural Commercial Bank (demo)", "lender@demo.local", "Li Lender")
    _telemetry_history(history_days)
    good, weaker = _best_and_weakest(factory_orgs)
    _credit(lender, good=good, weaker=weaker)


# a product structure: two moulded components (two clips per piece) merging into the assembly
BOM_ORDER = {
    "title": "Handheld scanner enclosure", "part_number": "HS-3", "material": "PC/ABS", "quantity": 1000,
    "components": [{"name": "shell", "quantity_per_parent": 1, "material": "PC/ABS V0"},
                   {"name": "clip", "quantity_per_parent": 2, "material": "POM"}],
    "operations": [
        {"process_code": "injection_molding", "setup_minutes": 240, "run_minutes_per_unit": Decimal("0.5"),
         "component": "shell", "after": []},
        {"process_code": "injection_molding", "setup_minutes": 120, "run_minutes_per_unit": Decimal("0.2"),
         "component": "clip", "after": []},
        {"process_code": "mechanical_assembly", "setup_minutes": 30, "run_minutes_per_unit": Decimal("0.8"),
         "after": [1, 2]},
        {"process_code": "packaging", "setup_minutes": 10, "run_minutes_per_unit": Decimal("0.2")}],
}
MOLDER = 4  # 东莞长安模塑 Chang'an Molding: moulds and assembles, so it can bid on the whole structure


def _collaboration(buyers: list[Actor], factory_orgs: list[Actor], operator: Actor) -> None:
    """What a newcomer should find besides the plain orders: a BOM order on the board with the
    moulder's bid and the buyer's counter-offer awaiting its answer, and the accepted
    robot-shaft order whose heat treatment its factory passed on as a sub-order (quoted)."""
    from market.bidding import services as bidding
    from market.orders.models import Order
    from market.subcontracting import services as subcontracting

    buyer, molder = buyers[1], factory_orgs[MOLDER]
    now = utcnow()
    order = orders.create_order(buyer, {
        **BOM_ORDER, "due_at": now + timedelta(days=45), "budget_minor": 6_000_000, "declared_value_minor": 3_600_000,
        "currency": "CNY", "delivery_address": "Shenzhen, Nanshan", "required_certifications": ["ISO9001"],
        "submit": True})
    orders.invite_factory(buyer, order.public_id, _first_factory_id(molder))
    bid = bidding.submit_bid(molder, order.public_id, {
        "price_minor": 4_200_000, "promised_at": now + timedelta(days=30), "expires_at": now + timedelta(days=14),
        "conditions": "Moulds included; clips in natural POM."})
    bidding.counter_bid(buyer, bid.public_id, {"price_minor": 3_900_000, "note": "Can you meet 39,000 with the "
                                               "same date?"})
    # the accepted robot joint shaft: whoever makes its heat treatment passes it on
    with unit_of_work() as s:
        shaft = s.scalar(select(Order).where(Order.part_number == "RJ-S3", Order.state == "accepted"))
        quote = subcontracting.accepted_quote(s, shaft) if shaft else None
        line = next((ln for ln in quote.lines if ln.process_code == "heat_treatment"), None) if quote else None
        maker = s.get(Factory, line.factory_id).organization_id if line else None
        shaft_id, seq = (shaft.public_id, line.seq) if line else (None, None)
    if shaft_id is None:
        return  # no capacity fitted the shaft: nothing to pass on
    by_org = {a.org_id: a for a in factory_orgs}
    sub = subcontracting.subcontract(by_org[maker], shaft_id, [seq], request_quotes=False)
    _quote(by_org[maker], sub.order.public_id)


def _telemetry_history(days: int = 90) -> None:
    """Every machine gets an edge gateway and `days` of simulated readings (state changes and
    periodic counters, bulk-loaded), so dashboards, OEE and the ledger summaries have history."""
    from market.catalog.models import Machine
    from market.telemetry import devices
    from market.telemetry.simulation import ensure_profiles, load_history

    with unit_of_work() as s:
        machine_ids = list(s.scalars(select(Machine.id).order_by(Machine.id)))
    for machine_id in machine_ids:
        devices.enroll_trusted(machine_id, "edge gateway (demo)")
    ensure_profiles(machine_ids)
    load_history(machine_ids, days=days)


def _best_and_weakest(factory_orgs: list[Actor]) -> tuple[Actor, Actor]:
    """Of the factories with sales on the platform, the best and the weakest by the active
    scorecard (the simulated machine history differs from seed to seed, so the demo picks
    them by their scores rather than by name)."""
    from market.credit import report
    from market.matching import queries as sales

    card, scored = report.active_scorecard(), []
    with unit_of_work() as s:
        now = utcnow()
        for actor in factory_orgs:
            factory = s.scalar(select(Factory).where(Factory.organization_id == actor.org_id))
            if sales.factory_sales(s, factory.id, now - timedelta(days=1), now):
                scored.append((card.score(report.feature_values(report.factory_features(s, factory, now)[1])).score, actor))
    scored.sort(key=lambda x: x[0])
    return scored[-1][1], scored[0][1]


def _credit(lender: Actor, *, good: Actor, weaker: Actor) -> None:
    """The lender's portfolio: the best and the weakest factory with sales consent; a report
    on each; the better one's order financing approved, disbursed and its first instalment
    repaid; the weaker one's equipment financing waiting for a decision."""
    from market.credit import financing
    from market.credit import services as credit
    from market.matching import queries as sales
    from market.orders.models import Order
    from market.payments import assignments

    lender_id = lender.org_public_id
    factories = {}
    for who in (good, weaker):
        factory_id = _first_factory_id(who)
        credit.grant_consent(who, factory_id=factory_id, lender_id=lender_id, purpose="credit_assessment", days=180)
        factories[who.org_id] = factory_id
    reports = {who.org_id: credit.issue_report(lender, factories[who.org_id]) for who in (good, weaker)}
    with unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == factories[good.org_id]))
        # a receivable can be financed while its payout is still held in escrow (payments decides how much)
        held = [(assignments.assignable_minor(s, s.scalar(select(Order.id).where(Order.public_id == x.order_public_id)),
                                              factory.id), x)
                for x in sales.factory_sales(s, factory.id, utcnow() - timedelta(days=1), utcnow())
                if x.order_state in ("accepted", "in_production", "shipped")]
        s.rollback()  # assignable_minor locks the payout rows it reads
    assignable, sale = max(((a, x) for a, x in held if a > 0), key=lambda ax: ax[0], default=(0, None))
    if sale is not None:  # against the receivable of its largest order: three quarters of its net payout
        application = financing.apply(good, factory_id=factories[good.org_id], lender_id=lender_id, kind="order",
                                      order_id=sale.order_public_id, amount_minor=assignable * 3 // 4,
                                      currency=sale.currency, term_months=3, purpose="Working capital for the order")
    else:
        application = financing.apply(good, factory_id=factories[good.org_id], lender_id=lender_id, kind="equipment",
                                      amount_minor=20_000_000, currency="CNY", term_months=12, purpose="A second machine")
    line = reports[good.org_id].content["credit_line"]
    rate = line.get("rate_low_bp") or 450
    # within the suggested line when there is one; without one (thin file) the lender confirms
    amount = min(application.amount_minor, line["limit_minor"]) if line["limit_minor"] else application.amount_minor
    financing.decide(lender, application.public_id, approve=True, amount_minor=amount, rate_bp=rate,
                     report_id=reports[good.org_id].public_id, confirm_above_suggested=not line["limit_minor"])
    financing.disburse(lender, application.public_id)
    if application.kind == "equipment":  # an order advance is repaid from the order's payout, first
        financing.repay(lender, application.public_id, 1)
    financing.apply(weaker, factory_id=factories[weaker.org_id], lender_id=lender_id, kind="equipment",
                    amount_minor=35_000_000, currency="CNY", term_months=24, purpose="Machine upgrade")


def _quote(buyer: Actor, order_id) -> None:
    """Real quotes from the solver (shorter time limit: the demo needs good, not best)."""
    app = current_app
    limit = app.config["QUOTE_TIME_LIMIT_S"]
    app.config["QUOTE_TIME_LIMIT_S"] = min(limit, 2.0)
    try:
        job = matching.request_quotes(buyer, order_id)
        deadline = time_.monotonic() + 120
        while matching.get_job(buyer, job.public_id).status not in ("done", "failed"):
            if time_.monotonic() > deadline:
                raise RuntimeError("demo quote solve did not finish")
            time_.sleep(0.05)
    finally:
        app.config["QUOTE_TIME_LIMIT_S"] = limit


def _accept_and_make(buyer: Actor, operator: Actor, order_id, final: str, factory_orgs: list[Actor],
                     rng: random.Random) -> None:
    """Accept the cheapest quote (the buyer's bank transfer confirmed by the operator, except
    for the newest order, whose payment is still awaited), then run the shop floor as far as
    the demo state: lots, operations, inspections with measurements, shipment, receipt."""
    quotes = matching.list_quotes(buyer, order_id)
    if not quotes:
        return  # no capacity fits: the order stays quoted-less and open, like a real one
    quote = min(quotes, key=lambda q: q.total_minor)
    matching.accept_quote(buyer, quote.public_id)
    if final == "accepted":
        return
    payments.confirm_receipt(operator, order_id, f"ICBC-{rng.randrange(10**8, 10**9)}")
    by_org = {a.org_id: a for a in factory_orgs}
    with unit_of_work() as s:
        owner = {line.seq: by_org[s.get(Factory, line.factory_id).organization_id] for line in quote.lines}
    seqs = sorted(owner)
    order = orders.get_order(buyer, order_id)
    lot = production.commission_lot(owner[seqs[0]], order_id)
    good = order.quantity
    for seq in seqs:
        if final == "in_production" and seq == seqs[-1]:
            production.start_operation(owner[seq], lot.public_id, seq)  # the last step is running now
            return
        production.start_operation(owner[seq], lot.public_id, seq)
        rejected = rng.randrange(0, max(1, good // 100))
        good -= rejected
        production.finish_operation(owner[seq], lot.public_id, seq, good, rejected)
    nominal = Decimal(rng.choice(["12.000", "25.400", "8.500"]))
    production.record_qc(owner[seqs[-1]], lot.public_id, {"operation_seq": None, "result": "pass", "inspector": "QC-07",
        "measurements": [{"name": "critical dimension", "unit": "mm", "value": str(nominal + Decimal("0.003")),
                          "lower": str(nominal - Decimal("0.010")), "upper": str(nominal + Decimal("0.010"))},
                         {"name": "surface roughness Ra", "unit": "µm", "value": "0.8", "upper": "1.6"}]})
    production.ship_lot(owner[seqs[-1]], lot.public_id, "SF Express", f"SF{rng.randrange(10**9, 10**10)}")
    if final == "delivered":
        production.confirm_delivery(buyer, lot.public_id)


def _first_factory_id(actor: Actor):
    return catalog.list_factories(actor, per_page=1).items[0].public_id


def print_logins(echo) -> None:
    echo("Demo logins (password for all: %s):" % PASSWORD)
    echo("  factories: factory1@demo.local … factory8@demo.local")
    echo("  buyers:    buyer1@demo.local … buyer4@demo.local")
    echo("  lender:    lender@demo.local    operator: operator@demo.local")
