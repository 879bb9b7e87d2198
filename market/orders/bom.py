"""An order's product structure (bill of materials): components, each with its own
operations, merging into the assembly operations of the finished product.

Stored on the operation rows (`component`, `quantity_per_parent`, `component_material`,
`after_seqs`); read back as :class:`Component` for the API and the order page. The
precedence rule itself (a DAG: no cycle, no self-reference, known operations) lives in the
scheduling core (`scheduling.data.check_precedence`); here its findings become field errors
in the user's language. An operation may wait only for operations listed before it (so the
seq order is always one the work can follow). An order without components and predecessors
is the plain routing it always was: operation n after n − 1.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from market import errors
from scheduling.data import PrecedenceError, check_precedence

MAX_COMPONENTS = 20
MAX_PER_PARENT = 1_000_000  # pieces of a component per finished piece; order quantity × this fits an int


@dataclass(frozen=True)
class Component:
    name: str
    quantity_per_parent: int
    material: str
    seqs: tuple[int, ...]  # its operations
    feeds: tuple[int, ...]  # operations of other components or of the product that wait for it


class BomInvalid(errors.Invalid):
    """Field messages are lazy strings: the API and the portal show them in the caller's language."""

    def __init__(self, field: str, english: str, message):
        super().__init__(english, field=field)
        self.errors = {field: [message]}


def _refuse(field: str, message):
    """`message`: a lazy string (shown in the caller's language); the problem's detail is English."""
    with force_locale("en"):
        english = str(message)
    raise BomInvalid(field, english, message)


def predecessors(rows: list[dict]) -> list[tuple[int, ...]]:
    """Per operation (0-based), the indices it waits for: `after` seqs, or the previous one when None."""
    return [tuple(seq - 1 for seq in row["after"]) if row.get("after") is not None else ((k - 1,) if k else ())
            for k, row in enumerate(rows)]


def check(operations: list[dict], components: list[dict]) -> dict[str, dict]:
    """Validate the structure typed (operations with `component` and `after` seqs, the
    components list); returns the components by name. Raises BomInvalid on the first problem."""
    by_name: dict[str, dict] = {}
    if len(components) > MAX_COMPONENTS:
        _refuse("components", _l("At most %(n)s components.", n=MAX_COMPONENTS))
    for i, c in enumerate(components):
        name = c["name"].strip()
        if not name:
            _refuse(f"components.{i}.name", _l("A component needs a name."))
        if name in by_name:
            _refuse(f"components.{i}.name", _l("The component name %(name)s is used twice.", name=name))
        by_name[name] = {**c, "name": name}
    used = set()
    for k, op in enumerate(operations):
        name = (op.get("component") or "").strip()
        if name and name not in by_name:
            _refuse(f"operations.{k}.component", _l("There is no component named %(name)s.", name=name))
        used.add(name)
    for i, c in enumerate(by_name.values()):
        if c["name"] not in used:
            _refuse(f"components.{i}.name", _l("The component %(name)s has no operations.", name=c["name"]))
    n = len(operations)
    try:
        check_precedence(n, predecessors(operations))
    except PrecedenceError as exc:
        field = f"operations.{exc.operation}.after" if exc.operation is not None else "operations"
        seq = exc.operation + 1 if exc.operation is not None else None
        if exc.kind == "self":
            _refuse(field, _l("Operation %(seq)s cannot wait for itself.", seq=seq))
        if exc.kind == "range":
            _refuse(field, _l("There is no operation %(value)s (1 to %(n)s).", value=exc.value + 1, n=n))
        if exc.kind == "twice":
            _refuse(field, _l("An operation is listed twice."))
        if exc.kind == "cycle":
            path = " → ".join(str(k + 1) for k in exc.cycle)
            _refuse(field, _l("Operations %(path)s wait for each other in a circle.", path=path))
        raise  # "shape"/"not_index" cannot come from validated input
    # listed in an order the work can follow: production starts a lot's steps by seq, and a
    # re-plan keeps a factory's steps of one order in seq order
    for k, preds in enumerate(predecessors(operations)):
        later = [p for p in preds if p > k]
        if later:
            _refuse(f"operations.{k}.after", _l(
                "Operation %(seq)s waits for operation %(later)s, listed after it: list the operations a step "
                "waits for before it.", seq=k + 1, later=later[0] + 1))
    return by_name


def structure(operations) -> list[Component]:
    """The components of an order's operation rows, in the order they first appear."""
    preds = predecessors([{"after": op.after_seqs} for op in operations])
    out: dict[str, list] = {}
    for k, op in enumerate(operations):
        if op.component:
            out.setdefault(op.component, []).append(k)
    components = []
    for name, ks in out.items():
        first = operations[ks[0]]
        mine = set(ks)
        feeds = sorted({j + 1 for j in range(len(operations)) if j not in mine and mine & set(preds[j])})
        components.append(Component(name, first.quantity_per_parent, first.component_material,
                                    tuple(k + 1 for k in ks), tuple(feeds)))
    return components


def is_plain_routing(operations) -> bool:
    return all(not op.component and op.after_seqs is None for op in operations)


def waits_for(operations) -> list[tuple[int, ...]]:
    """Per operation row, the seqs it waits for (the previous one in a plain routing)."""
    return [tuple(k + 1 for k in p) for p in predecessors([{"after": op.after_seqs} for op in operations])]
