"""A three-tier world for subcontracting tests: the payment world's buyer, Mill Works and
Finish Lab (tier 1: booked for anodizing and CMM), plus Coat Co (makes Finish Lab's sub-order)
and Deep Coat (makes Coat Co's). Sub-order quotes are put in place directly (the solver is
tested elsewhere; acceptance, booking and payment run for real)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import FACTORY
from tests.market.payment_world import World


def make_site(api, tenant, name: str, processes: list[str]) -> dict:
    owner = tenant("factory", name)
    client = api(owner)
    factory = client.post("/api/v1/factories", json={**FACTORY, "name": name}).get_json()
    machine = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": f"{name}-0",
                                                    "processes": processes}).get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for day in range(5):
        s = start + timedelta(days=day)
        client.post("/api/v1/capacity-windows", json={"machine_id": machine["id"], "start": s.isoformat(),
                    "end": (s + timedelta(hours=8)).isoformat(), "pricing_mode": "per_hour", "price": 9000})
    return {"client": client, "factory": factory, "machines": [machine], "tenant": owner}


class Tiers(World):
    def __init__(self, app, api, tenant, sites):
        super().__init__(app, api, tenant, sites)
        self.coat = make_site(api, tenant, "Coat Co", ["anodizing"])
        self.deep = make_site(api, tenant, "Deep Coat", ["anodizing"])

    def subcontract(self, who, order_id: str, seqs, **extra):
        return who.post(f"/api/v1/orders/{order_id}/sub-orders",
                        json={"operation_seqs": seqs, "request_quotes": False, **extra})

    def book_sub(self, sub_id: str, site: dict, price: int, *, promised_in: timedelta | None = None,
                 buyer=None) -> str:
        """Put a one-line quote by `site` on the sub-order and have its buyer accept it."""
        from market.catalog.models import CapacityWindow, Machine
        from market.db import unit_of_work
        from market.matching.models import SolveJob
        from market.orders.models import Order, Quote, QuoteLine

        with self.app.app_context(), unit_of_work() as s:
            order = s.scalar(select(Order).where(Order.public_id == uuid.UUID(sub_id)))
            job = SolveJob(kind="quote", organization_id=order.buyer_org_id, order_id=order.id, status="done")
            s.add(job)
            s.flush()
            m = s.scalar(select(Machine).where(Machine.public_id == uuid.UUID(site["machines"][0]["id"])))
            w = s.scalars(select(CapacityWindow).where(CapacityWindow.machine_id == m.id, CapacityWindow.status == "open")
                          .order_by(CapacityWindow.start_at)).first()
            end = w.start_at + timedelta(hours=1)
            now = datetime.now(timezone.utc)
            q = Quote(order_id=order.id, job_id=job.id, label="cheapest", price_minor=price, transport_minor=0,
                      currency=order.currency, promised_at=w.start_at + (promised_in or timedelta(hours=1)),
                      expires_at=now + timedelta(days=1))
            for op in order.operations:
                q.lines.append(QuoteLine(seq=op.seq, process_code=op.process_code, window_id=w.id, machine_id=m.id,
                                         factory_id=m.factory_id, start_at=w.start_at, end_at=end,
                                         price_minor=price if op.seq == 1 else 0))
            s.add(q)
            order.state = "quoted"
            s.commit()
            quote_id = str(q.public_id)
        return (buyer or self.finish["client"]).post(f"/api/v1/quotes/{quote_id}/accept")

    def row(self, model, **where):
        from market.db import unit_of_work

        with self.app.app_context(), unit_of_work() as s:
            stmt = select(model)
            for k, v in where.items():
                stmt = stmt.where(getattr(model, k) == v)
            return list(s.scalars(stmt))


@pytest.fixture
def tiers(app, api, tenant, two_sites):
    return Tiers(app, api, tenant, two_sites)
