"""The one pagination of every API list: `{items, next_cursor, page, per_page, total, pages}`.

A list is read either by page number (`?page=3`: an OFFSET, with the total) or by cursor
(`?cursor=<next_cursor of the previous page>`: keyset pagination, a WHERE on the ordering
columns past the last row seen). A cursor read costs the same on page 1 and page 10,000 and
neither skips nor repeats a row when rows are added or removed meanwhile, so large lists (and
incremental sync with `updated_since`) follow `next_cursor`; a cursor read skips the count, so
its `total` and `pages` are null. `next_cursor` is null on the last page.

The ordering keys must end in a unique column (the id), so that the order is total and a
cursor names exactly one place in it."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int | None
    per_page: int
    total: int | None
    next_cursor: str | None = None

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.per_page))

    def envelope(self, items: list | None = None) -> dict:
        """The page as JSON would carry it (for the routes that build their rows' JSON themselves)."""
        return {"items": self.items if items is None else items, "next_cursor": self.next_cursor,
                "page": self.page, "per_page": self.per_page, "total": self.total, "pages": self.pages}


@dataclass(frozen=True)
class Key:
    """One ordering column of a keyset: the column (or, for in-memory lists, the attribute
    name) and its direction."""

    column: Any
    descending: bool = False


@dataclass(frozen=True)
class Order:
    """How a list is ordered, as keyset pagination needs it: the last key is unique."""

    keys: tuple[Key, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, *keys: Any) -> "Order":
        """Order.of(Model.created_at.desc(), Model.id.desc()) or Order.of("created_at", "id")."""
        out = []
        for k in keys:
            modifier = getattr(k, "modifier", None)
            name = getattr(modifier, "__name__", "")
            if name in ("desc_op", "asc_op"):
                out.append(Key(k.element, descending=name == "desc_op"))
            else:
                out.append(Key(k))
        return cls(tuple(out))

    def clauses(self) -> list:
        return [k.column.desc() if k.descending else k.column.asc() for k in self.keys]

    def after(self, values: Sequence) -> Any:
        """SQL: the rows strictly past `values` in this order: (k1 past v1) or (k1 = v1 and k2 past v2)..."""
        alternatives = []
        for i, key in enumerate(self.keys):
            past = key.column < values[i] if key.descending else key.column > values[i]
            alternatives.append(and_(*[self.keys[j].column == values[j] for j in range(i)], past))
        return or_(*alternatives)


def _invalid(message: str, field_name: str):
    from market.errors import Invalid

    return Invalid(message, field=field_name)


def _encode_value(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _decode_value(value):
    if isinstance(value, dict) and set(value) == {"t"}:
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError("naive moment")
        return moment
    if isinstance(value, dict) and set(value) == {"u"}:
        return uuid.UUID(value["u"])
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    raise ValueError("not a key value")


def _b64(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(cursor: str):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise _invalid("not a cursor this list handed out (use next_cursor as given)", "cursor") from None


def encode_cursor(values: Sequence) -> str:
    """A keyset cursor: {"k": the last row's key values}."""
    return _b64({"k": [_encode_value(v) for v in values]})


def decode_cursor(cursor: str, order: Order) -> list:
    """The key values a cursor carries; 422 on `cursor` for anything this list did not hand out."""
    raw = _unb64(cursor)
    try:
        if not (isinstance(raw, dict) and set(raw) == {"k"} and isinstance(raw["k"], list)
                and len(raw["k"]) == len(order.keys)):
            raise ValueError("not a keyset cursor")
        return [_decode_value(v) for v in raw["k"]]
    except (ValueError, TypeError, OverflowError):
        raise _invalid("not a cursor this list handed out (use next_cursor as given)", "cursor") from None


def _bounds(page: int, per_page: int, cursor: str | None) -> tuple[int, int]:
    if page > MAX_PAGE:  # a page number from a link (?page=10^20) would overflow the OFFSET
        raise _invalid(f"page is at most {MAX_PAGE}", "page")
    if cursor is not None and page > 1:
        raise _invalid("give either page or cursor, not both", "cursor")
    return max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)


def _page_cursor(page: int) -> str:
    """A ranked or in-memory list's cursor: {"p": the next page number}."""
    return _b64({"p": page})


def _page_of_cursor(cursor: str) -> int:
    raw = _unb64(cursor)
    page = raw.get("p") if isinstance(raw, dict) and set(raw) == {"p"} else None
    if isinstance(page, int) and not isinstance(page, bool) and 1 <= page <= MAX_PAGE:
        return page
    raise _invalid("not a cursor this list handed out (use next_cursor as given)", "cursor")


@dataclass
class Window:
    """What one page of a statement reads, before it is read: `stmt` ordered, past the cursor
    and limited to one row more than the page (that row says whether there is a next page).
    For a service that must read the page inside a larger statement (one snapshot); others
    call `paginate`."""

    stmt: Select
    order: Order | None
    page: int
    per_page: int
    offset: int
    by_cursor: bool

    def finish(self, items: list, *, key_of: Callable[[Any], Sequence] | None = None,
               count: Callable[[], int] | None = None) -> Page:
        """The page of the rows `stmt` gave (in its order; one per row). `count()`: the total,
        asked only when the page alone does not tell it."""
        more = len(items) > self.per_page
        items = items[:self.per_page]
        next_cursor = None
        if more:
            next_cursor = (encode_cursor(key_of(items[-1]) if key_of else _attributes(items[-1], self.order))
                           if self.order is not None else _page_cursor(self.page + 1))
        if self.by_cursor:
            return Page(items, None, self.per_page, None, next_cursor)
        if not more and (items or self.page == 1):
            total = self.offset + len(items)  # the last page says the total: no count(*) over the whole list
        else:
            total = count() if count is not None else None
        return Page(items, self.page, self.per_page, total, next_cursor)


def window(stmt: Select, page: int = 1, per_page: int = 20, *, order: Order | None = None,
           cursor: str | None = None) -> Window:
    """Without `order` (a ranked list, e.g. a search sorted by computed scores) stmt keeps its
    own ORDER BY and the cursor carries the next page number: the same envelope, read by offset."""
    page, per_page = _bounds(page, per_page, cursor)
    if order is not None:
        stmt = stmt.order_by(None).order_by(*order.clauses())
    elif cursor is not None:
        page, cursor = _page_of_cursor(cursor), None
    offset = 0 if cursor is not None else (page - 1) * per_page
    if cursor is not None:
        stmt = stmt.where(order.after(decode_cursor(cursor, order)))
    return Window(stmt.limit(per_page + 1).offset(offset), order, page, per_page, offset, cursor is not None)


def since(stmt: Select, updated_at, updated_since: datetime | None, *, changed: Order,
          otherwise: Order) -> tuple[Select, Order]:
    """An incremental sync's read (`updated_since`): the rows changed at or after the mark, in
    the order of change (`changed`, ending in the id). Inclusive, so a row changed later in the
    same second is not missed; a client skips the ids it has. Without a mark: `stmt` in `otherwise`."""
    if updated_since is None:
        return stmt, otherwise
    return stmt.where(updated_at >= updated_since), changed


def paginate(session: Session, stmt: Select, page: int = 1, per_page: int = 20, *, scalars: bool = True,
             count: Select | None = None, order: Order | None = None, cursor: str | None = None,
             key_of: Callable[[Any], Sequence] | None = None) -> Page:
    """A page of `stmt`, ordered by `order` (which this function applies; see `window`).
    `count`: a cheaper statement of the same number of rows (without the joins that only add
    columns), run instead of counting `stmt` when a full page needs a total. `key_of(row)`: the
    row's values of `order`'s keys, when the rows are not entities carrying them as attributes
    of the same name."""
    shown = window(stmt, page, per_page, order=order, cursor=cursor)
    rows = session.execute(shown.stmt)
    items = list(rows.scalars() if scalars else rows.all())
    return shown.finish(items, key_of=key_of, count=lambda: session.scalar(
        count if count is not None else select(func.count()).select_from(stmt.order_by(None).subquery())))


def _attributes(row, order: Order) -> list:
    return [getattr(row, k.column.key if hasattr(k.column, "key") else k.column) for k in order.keys]


def page_of(items: Iterable[T], page: int = 1, per_page: int = 20, cursor: str | None = None) -> Page[T]:
    """The same envelope over a short list a service has already read and ordered (a thread,
    an order's bids, the taxonomy): the cursor carries the next page number."""
    page, per_page = _bounds(page, per_page, cursor)
    if cursor is not None:
        page = _page_of_cursor(cursor)
    rows = list(items)
    offset = (page - 1) * per_page
    shown = rows[offset:offset + per_page]
    more = len(rows) > offset + per_page
    return Page(shown, page, per_page, len(rows), _page_cursor(page + 1) if more else None)
