"""A lot's (or an order's lots') ledger events as a GS1 EPCIS 2.0 JSON-LD document.

The ledger events already carry EPCIS/CBV dimensions (what / when / where / why); this only
re-shapes them, one EPCIS event per ledger entry, in ledger order, and adds nothing that is
not on the ledger in clear: what a factory keeps private (heat number, supplier, consumed
quantities, a private document's name) stays the salted commitment the entry holds.

Identifiers: we hold no GS1 company prefix, so objects, places and transactions are named by
our own stable URIs (docs/api.md, "EPCIS 2.0 export"): a lot is ``<base>/trace/<trace code>``
(its public trace page), a factory ``<base>/factories/<id>``, a machine ``<base>/machines/<id>``,
a material lot ``<base>/material-lots/<id>``, a business transaction ``urn:uuid:<id>``. An
event's ``eventID`` is the URL of its ledger entry's proof bundle, and ``mkt:ledgerIndex`` /
``mkt:leafHash`` say which entry it is, so every event can be proved against a checkpoint.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from sqlalchemy import select

from ledger.entry import decode_entry

from market.db import unit_of_work, utcnow
from market.journal.ledger import get_ledger
from market.production import genealogy, services as production
from market.production.material_models import LotInput, MaterialLot
from market.production.models import Lot
from market.web.links import public_base_url

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PREFIX = "mkt"  # our extension fields: "mkt:ledgerIndex", … (namespace in @context)

# UN/CEFACT Recommendation 20 codes for the units factories type, and the EPCIS 2.0
# measurement type each measures; a unit not here stays an extension field, never a guess.
UNITS: dict[str, tuple[str, str]] = {
    "mm": ("MMT", "Length"), "cm": ("CMT", "Length"), "m": ("MTR", "Length"), "um": ("4H", "Length"),
    "µm": ("4H", "Length"), "μm": ("4H", "Length"), "in": ("INH", "Length"),
    "g": ("GRM", "Mass"), "kg": ("KGM", "Mass"),
    "°C": ("CEL", "Temperature"), "C": ("CEL", "Temperature"), "K": ("KEL", "Temperature"),
    "N": ("NEW", "Force"), "kN": ("B47", "Force"), "N·m": ("NU", "Torque"), "Nm": ("NU", "Torque"),
    "Pa": ("PAL", "Pressure"), "kPa": ("KPA", "Pressure"), "MPa": ("MPA", "Pressure"), "bar": ("BAR", "Pressure"),
    "°": ("DD", "Angle"), "deg": ("DD", "Angle"), "s": ("SEC", "Time"), "min": ("MIN", "Time"),
    "V": ("VLT", "Voltage"), "A": ("AMP", "ElectricCurrent"), "ohm": ("OHM", "Resistance"), "Ω": ("OHM", "Resistance"),
    "%RH": ("P1", "RelativeHumidity"),
}


def _ext(name: str) -> str:
    return f"{PREFIX}:{name}"


class _Uris:
    def __init__(self, base: str):
        self.base = base

    def lot(self, trace_code: str) -> str:
        return f"{self.base}/trace/{quote(trace_code, safe='')}"

    def factory(self, public_id: str) -> str:
        return f"{self.base}/factories/{public_id}"

    def machine(self, public_id: str) -> str:
        return f"{self.base}/machines/{public_id}"

    def material(self, public_id: str) -> str:
        return f"{self.base}/material-lots/{public_id}"

    def entry(self, index: int) -> str:
        return f"{self.base}/api/v1/ledger/entries/{index}/proof"

    def subject(self, ref: dict) -> str:
        """A `what` reference: {"lot", "traceCode"} or {"materialLot"}."""
        return self.material(ref["materialLot"]) if "materialLot" in ref else self.lot(ref["traceCode"])


def _number(text) -> int | float | None:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() and "." not in str(text) else float(value)


def _sensors(measurements: list[dict], when: str) -> tuple[list[dict], list[dict]]:
    """(sensorElementList, measurements kept as an extension: unit unknown or value not a number)."""
    reports, kept = [], []
    for m in measurements:
        unit, value = UNITS.get((m.get("unit") or "").strip()), _number(m.get("value"))
        if unit is None or value is None:
            kept.append(m)
            continue
        report = {"type": unit[1], "value": value, "uom": unit[0], _ext("name"): m.get("name", "")}
        for bound in ("lower", "upper"):  # tolerance limits, not observed extremes (minValue/maxValue)
            if m.get(bound):
                report[_ext(bound)] = str(m[bound])
        reports.append(report)
    elements = [{"sensorMetadata": {"time": when}, "sensorReport": reports}] if reports else []
    return elements, kept


def _transactions(why: dict) -> list[dict]:
    return [{"type": t["type"], "bizTransaction": f"urn:uuid:{t['bizTransaction']}"}
            for t in why.get("bizTransactionList", [])]


def _object_event(event: dict, uris: _Uris) -> dict:
    what, where, why, data = event["what"], event.get("where", {}), event.get("why", {}), event.get("data", {})
    kind = event["type"]
    out: dict = {"type": "ObjectEvent", "action": "ADD" if kind == "lot.commissioned" else "OBSERVE"}
    if "traceCode" in what:
        element = {"epcClass": uris.lot(what["traceCode"])}
        if kind in ("lot.commissioned", "shipment.shipped", "delivery.confirmed") and "quantity" in what:
            element.update(quantity=what["quantity"])  # pieces in the lot, public on the trace page
        out["quantityList"] = [element]
    elif "materialLot" in what:
        out["quantityList"] = [{"epcClass": uris.material(what["materialLot"])}]  # how much: committed
    else:
        out["epcList"] = []
    for key in ("bizStep", "disposition"):
        if why.get(key):
            out[key] = why[key]
    if where.get("readPoint"):
        out["readPoint"] = {"id": uris.machine(where["readPoint"])}
    if where.get("bizLocation"):
        out["bizLocation"] = {"id": uris.factory(where["bizLocation"])}
    if why.get("bizTransactionList"):
        out["bizTransactionList"] = _transactions(why)
    for key in ("partNumber", "process", "seq", "material", "grade", "source", "document"):
        if key in what:
            out[_ext(key)] = what[key]
    if kind == "qc.recorded":
        elements, kept = _sensors(data.get("measurements") or [], event["when"])
        if elements:
            out["sensorElementList"] = elements
        if kept:
            out[_ext("measurements")] = kept
        out[_ext("result")] = data.get("result")
        for key in ("seq", "sampling"):
            if key in data:
                out[_ext(key)] = data[key]
    else:
        for key, value in data.items():  # good/rejected, carrier, document kind and hash, commitments
            out[_ext(key)] = value
    return out


def _transformation_event(event: dict, uris: _Uris) -> dict:
    what, why = event["what"], event.get("why", {})
    out = {"type": "TransformationEvent",
           "inputQuantityList": [{"epcClass": uris.subject(ref)} for ref in what["inputs"]],
           "outputQuantityList": [{"epcClass": uris.lot(what["output"]["traceCode"])}]}
    for key in ("bizStep", "disposition"):
        if why.get(key):
            out[key] = why[key]
    if event.get("where", {}).get("bizLocation"):
        out["bizLocation"] = {"id": uris.factory(event["where"]["bizLocation"])}
    if why.get("bizTransactionList"):
        out["bizTransactionList"] = _transactions(why)
    out[_ext("commitment")] = event.get("data", {}).get("commitment")  # how much went in: committed
    return out


def epcis_event(index: int, raw: bytes, uris: _Uris) -> dict:
    event = decode_entry(raw).event
    shaped = _transformation_event(event, uris) if event["type"] == "lot.consumed" else _object_event(event, uris)
    head = {"eventID": uris.entry(index), "eventTime": event["when"], "eventTimeZoneOffset": "+00:00"}
    tail = {_ext("ledgerType"): event["type"], _ext("ledgerIndex"): index,
            _ext("leafHash"): hashlib.sha256(b"\x00" + raw).hexdigest()}
    if event.get("corrects"):
        tail[_ext("corrects")] = event["corrects"]
    return {"type": shaped.pop("type"), **head, **shaped, **tail}


def lot_entry_indices(s, lot) -> list[int]:
    """A lot's own entries and the receipts of the material lots it consumed directly."""
    own = set(genealogy.lot_indices(s, lot))
    own.update(s.scalars(select(MaterialLot.ledger_index).join(LotInput, LotInput.material_lot_id == MaterialLot.id)
                         .where(LotInput.lot_id == lot.id, MaterialLot.ledger_index.is_not(None))))
    return sorted(own)


def document(s, lots: list) -> dict:
    """The EPCIS document of `lots` (already checked visible to the caller): their entries, in ledger order."""
    indices = sorted({i for lot in lots for i in lot_entry_indices(s, lot)})
    store, conn = get_ledger().store, s.connection()
    base = public_base_url()
    uris = _Uris(base)
    return {"@context": [EPCIS_CONTEXT, {PREFIX: f"{base}/ns/epcis#"}],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": utcnow().isoformat().replace("+00:00", "Z"),
            "epcisBody": {"eventList": [epcis_event(i, store.entry(conn, i), uris) for i in indices]}}


def of_lot(actor, lot_id) -> dict:
    """A lot's document; not found unless the actor may read the lot (production's rule)."""
    lot, _ = production.get_lot(actor, lot_id)
    with unit_of_work() as s:
        return document(s, [s.get(Lot, lot.id)])


def of_order(actor, order_id) -> dict:
    """All lots of an order in one document; not found unless the actor may read them."""
    lots = production.lots_of(actor, order_id)
    with unit_of_work() as s:
        return document(s, [s.get(Lot, lot.id) for lot in lots])
