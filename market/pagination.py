from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(session: Session, stmt: Select, page: int, per_page: int, *, scalars: bool = True,
             count: Select | None = None) -> Page:
    """A page of `stmt`. `count`: a cheaper statement of the same number of rows (without the
    joins that only add columns), run instead of counting `stmt` when a full page needs a total."""
    if page > MAX_PAGE:  # a page number from a link (?page=10^20) would overflow the OFFSET
        from market.errors import Invalid

        raise Invalid(f"page is at most {MAX_PAGE}", field="page")
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    offset = (page - 1) * per_page
    rows = session.execute(stmt.limit(per_page).offset(offset))
    items = list(rows.scalars() if scalars else rows.all())
    if 0 < len(items) < per_page or (not items and page == 1):
        total = offset + len(items)  # the last page says the total: no count(*) over the whole list
    else:
        total = session.scalar(count if count is not None
                               else select(func.count()).select_from(stmt.order_by(None).subquery()))
    return Page(items, page, per_page, total)
