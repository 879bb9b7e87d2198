"""UTCDateTime's SQLite bind processor (market/db.py) writes what the generic path wrote:
process_bind_param then the dialect's DATETIME text. The fan-out binds one timestamp to
thousands of rows, so the text is made in one step and the last one is kept."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import DateTime

from market.db import UTCDateTime


def test_the_sqlite_text_of_a_time_is_what_the_generic_path_wrote_and_a_naive_time_is_refused():
    dialect = sqlite.dialect()
    fast = UTCDateTime().bind_processor(dialect)
    generic = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    china = timezone(timedelta(hours=8))
    moments = [datetime(2026, 12, 7, 22, 57, 30, 123456, tzinfo=timezone.utc),
               datetime(2026, 12, 8, 6, 57, 30, tzinfo=china),  # no microseconds, another zone
               datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
               datetime(2026, 1, 1, tzinfo=china)]
    for moment in moments + moments[::-1] + [moments[0]] * 3:  # the kept last text, and a change of it
        assert fast(moment) == generic(UTCDateTime().process_bind_param(moment, dialect))
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 1, 1))
