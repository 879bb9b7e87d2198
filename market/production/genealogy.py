"""A part lot's genealogy as the public trace page shows it: the material lots and the part
lots (components, sub-tiers' lots) it consumed, recursively, each node with the ledger entries
that prove it. Only what the entries say in clear is shown: quantities, heat numbers,
suppliers and private documents' names stay commitments."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.orders.models import Order
from market.production import codes
from market.production.material_models import LotDocument, LotInput, MaterialLot
from market.production.models import Lot

MAX_NODES = 500  # a trace page stays a page; deeper trees are cut (and say so)


def lot_indices(s: Session, lot: Lot) -> list[int]:
    """The ledger entries of one lot: its steps, its documents and what it consumed."""
    out = [lot.ledger_index, lot.ship_ledger_index, lot.delivery_ledger_index]
    for step in lot.operations:
        out += [step.start_ledger_index, step.finish_ledger_index]
    out += [qc.ledger_index for qc in lot.qc_results]
    out += s.scalars(select(LotDocument.ledger_index).where(LotDocument.lot_id == lot.id))
    out += s.scalars(select(LotInput.ledger_index).where(LotInput.lot_id == lot.id))
    return sorted(i for i in out if i is not None)


def lot_names(s: Session, lot: Lot) -> dict[str, str]:
    """Display names of the factories and machines a lot's entries name by id (public profiles)."""
    factories, machines = _parties(s, lot)
    return {**factories, **machines}


def _parties(s: Session, lot: Lot) -> tuple[dict[str, str], dict[str, str]]:
    """(factories, machines) a lot's entries name, public id -> name."""
    factories, machines = {}, {}
    for step in lot.operations:
        factories[str(step.factory.public_id)] = step.factory.name
        machines[str(step.machine.public_id)] = step.machine.name
    for qc in lot.qc_results:
        factories[str(qc.factory.public_id)] = qc.factory.name
    for factory_id in [lot.shipped_by_factory_id, *s.scalars(select(LotDocument.factory_id).where(
            LotDocument.lot_id == lot.id)), *s.scalars(select(LotInput.factory_id).where(LotInput.lot_id == lot.id))]:
        if factory_id:
            factory = s.get(Factory, factory_id)
            factories[str(factory.public_id)] = factory.name
    return factories, machines


# what a lot's makers are called instead of their names: (factory, machine) words, or None = their names
Conceal = Callable[[Session, Order], "tuple[str, str] | None"]


def tree(s: Session, lot: Lot, conceal: Conceal = lambda s, order: None) -> tuple[list[dict], list[int], dict[str, str], bool]:
    """(the lot's inputs as nested nodes, every ledger index in them, display names, cut short?).
    `conceal` (from a higher domain: subcontracting's consent) may hide the makers of a lot
    in the tree behind words; a factory also named openly elsewhere in the tree keeps its name
    (its id on the shown entries links them anyway)."""
    indices: list[int] = []
    names: dict[str, str] = {}
    state = {"nodes": 0, "cut": False, "masked": {}, "conceal": conceal}
    children = _inputs(s, lot, indices, names, state, {lot.id}, None)
    for public_id, words in state["masked"].items():
        names.setdefault(public_id, words)
    return children, sorted(set(indices)), names, state["cut"]


def _inputs(s: Session, lot: Lot, indices: list[int], names: dict, state: dict, path: set[int],
            masked: tuple[str, str] | None) -> list[dict]:
    """`masked`: the words for the makers of `lot` when it is concealed (its materials' too)."""
    nodes = []
    for item in s.scalars(select(LotInput).where(LotInput.lot_id == lot.id).order_by(LotInput.id)):
        if state["nodes"] >= MAX_NODES:
            state["cut"] = True
            break
        state["nodes"] += 1
        via = [item.ledger_index] if item.ledger_index is not None else []
        if item.material_lot_id is not None:
            m = s.get(MaterialLot, item.material_lot_id)
            node = _material_node(s, m)
            _name(state, names, masked, {str(m.factory.public_id): m.factory.name}, {})
        else:
            child = s.get(Lot, item.input_lot_id)
            if child.id in path:  # refused on write (materials._take_pieces); never loop on read
                continue
            own = lot_indices(s, child)
            order = s.get(Order, child.order_id)
            words = state["conceal"](s, order)
            _name(state, names, words, *_parties(s, child))
            node = {"kind": "lot", "trace_code": codes.display(child.trace_code), "part_number": order.part_number,
                    "quantity": child.quantity, "status": child.status, "entries": own,
                    "documents": _documents(s, LotDocument.lot_id == child.id),
                    "inputs": _inputs(s, child, indices, names, state, path | {child.id}, words)}
        node["via"] = via
        indices.extend(node["entries"] + via)
        nodes.append(node)
    return nodes


def _name(state: dict, names: dict, masked: tuple[str, str] | None, factories: dict, machines: dict) -> None:
    if masked is None:
        names.update(factories)
        names.update(machines)
        return
    state["masked"].update({k: masked[0] for k in factories})
    state["masked"].update({k: masked[1] for k in machines})


def _material_node(s: Session, m: MaterialLot) -> dict:
    docs = _documents(s, LotDocument.material_lot_id == m.id)
    entries = sorted(i for i in [m.ledger_index, *(d["index"] for d in docs)] if i is not None)
    return {"kind": "material", "id": str(m.public_id), "material": m.material, "grade": m.grade,
            "source": m.source, "entries": entries, "documents": docs, "inputs": []}


def _documents(s: Session, subject) -> list[dict]:
    """What the trace page shows of documents: kind, file hash, and the name of public ones."""
    return [{"id": str(d.public_id), "kind": d.kind, "sha256": d.sha256, "public": d.public,
             "filename": d.filename if d.public else None, "index": d.ledger_index}
            for d in s.scalars(select(LotDocument).where(subject).order_by(LotDocument.id))]


def lot_documents_shown(s: Session, lot: Lot) -> list[dict]:
    return _documents(s, LotDocument.lot_id == lot.id)


def tree_documents(s: Session, code_text: str) -> set[int]:
    """Ids of the documents anywhere in the genealogy of the lot with trace code `code_text`."""
    code = codes.normalize(code_text)
    lot = s.scalar(select(Lot).where(Lot.trace_code == code)) if code else None
    if lot is None:
        return set()
    lots, materials, frontier = {lot.id}, set(), {lot.id}
    while frontier and len(lots) + len(materials) < MAX_NODES:
        rows = s.execute(select(LotInput.input_lot_id, LotInput.material_lot_id).where(LotInput.lot_id.in_(frontier))).all()
        materials |= {m for _, m in rows if m is not None}
        frontier = {i for i, _ in rows if i is not None} - lots
        lots |= frontier
    return set(s.scalars(select(LotDocument.id).where(
        LotDocument.lot_id.in_(lots) | LotDocument.material_lot_id.in_(materials))))
