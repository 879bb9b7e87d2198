"""docs/architecture.md lists every domain event and its listeners as the app registers them."""
from __future__ import annotations

import re
from pathlib import Path

from market.cli import events_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_the_events_table_in_docs_matches_the_registered_handlers(app):
    documented = re.search(r"<!-- events:begin -->\n(.*?)<!-- events:end -->", DOC.read_text(encoding="utf-8"), re.S)
    actual = events_table(app.extensions["bus"])
    assert documented and documented.group(1).strip() == actual, (
        "docs/architecture.md's events table is out of date: replace what is between the events "
        "markers with the output of `market events`")
    for event in ("SecurityActivity", "OrderMoving", "MachineWentDown"):
        assert f"`{event}`" in actual
