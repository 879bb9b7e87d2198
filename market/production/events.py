"""Ledger events of production, in the EPCIS 2.0 / CBV shape. Public by design: a lot's
trace page shows them, so they name factories, machines, processes, counts and QC results,
and never prices, drawings, inspectors' names or tracking numbers."""
from __future__ import annotations

from ledger.events import Event



def _why(order, lot, step: str, disposition: str | None = None, *extra: dict) -> dict:
    why = {"bizStep": step, "bizTransactionList": [
        {"type": "po", "bizTransaction": str(order.public_id)},
        {"type": "prodorder", "bizTransaction": str(lot.public_id)}, *extra]}
    if disposition:
        why["disposition"] = disposition
    return why


def _what(order, lot, **more) -> dict:
    return {"order": str(order.public_id), "lot": str(lot.public_id), "traceCode": lot.trace_code, **more}


def lot_commissioned(order, lot, factory) -> Event:
    return Event(type="lot.commissioned", org=str(factory.organization.public_id), when=lot.created_at,
                 what=_what(order, lot, partNumber=order.part_number, quantity=lot.quantity),
                 where={"bizLocation": str(factory.public_id)}, why=_why(order, lot, "commissioning", "active"))


def operation_started(order, lot, step) -> Event:
    return Event(type="operation.started", org=str(step.factory.organization.public_id), when=step.started_at,
                 what=_what(order, lot, seq=step.seq, process=step.process_code),
                 where={"bizLocation": str(step.factory.public_id), "readPoint": str(step.machine.public_id)},
                 why=_why(order, lot, "assembling", "in_progress"))


def operation_completed(order, lot, step) -> Event:
    return Event(type="operation.completed", org=str(step.factory.organization.public_id), when=step.finished_at,
                 what=_what(order, lot, seq=step.seq, process=step.process_code),
                 where={"bizLocation": str(step.factory.public_id), "readPoint": str(step.machine.public_id)},
                 why=_why(order, lot, "assembling", "in_progress"), data={"good": step.good, "rejected": step.rejected})


def qc_recorded(order, lot, qc, corrects=None) -> Event:
    data = {"result": qc.result, "measurements": qc.measurements}
    if qc.operation_seq is not None:
        data["seq"] = qc.operation_seq
    if qc.sampling:
        data["sampling"] = qc.sampling
    return Event(type="qc.recorded", org=str(qc.factory.organization.public_id), when=qc.recorded_at,
                 what=_what(order, lot), where={"bizLocation": str(qc.factory.public_id)},
                 why=_why(order, lot, "inspecting", "conformant" if qc.result == "pass" else "non_conformant"),
                 data=data, corrects=corrects)


def shipped(order, lot, factory) -> Event:
    return Event(type="shipment.shipped", org=str(factory.organization.public_id), when=lot.shipped_at,
                 what=_what(order, lot, quantity=lot.quantity), where={"bizLocation": str(factory.public_id)},
                 why=_why(order, lot, "shipping", "in_transit", {"type": "desadv", "bizTransaction": str(lot.public_id)}),
                 data={"carrier": lot.carrier})


def delivered(order, lot, buyer_public_id) -> Event:
    return Event(type="delivery.confirmed", org=str(buyer_public_id), when=lot.delivered_at,
                 what=_what(order, lot, quantity=lot.quantity),
                 why=_why(order, lot, "receiving", "completeness_verified",
                          {"type": "recadv", "bizTransaction": str(lot.public_id)}))
