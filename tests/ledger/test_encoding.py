"""Canonical encoding, the event vocabulary and the entry format."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.encoding import canonical_bytes, decode, is_canonical
from ledger.entry import decode_entry, encode_entry, scan_link
from ledger.errors import EncodingError, EventError
from ledger.events import Correction, Event

WHEN = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def test_keys_are_sorted_without_spaces_and_utf8_is_kept():
    assert canonical_bytes({"b": 1, "a": [True, None, "质检"]}) == '{"a":[true,null,"质检"],"b":1}'.encode()


@pytest.mark.parametrize("value, where", [
    (1.5, "$"), ({"x": [1, float("nan")]}, r"\$\.x\[1\]"), ({"x": float("inf")}, r"\$\.x"),
])
def test_floats_are_refused_with_their_path(value, where):
    with pytest.raises(EncodingError, match=where):
        canonical_bytes(value)


def test_non_json_types_and_non_string_keys_are_refused():
    with pytest.raises(EncodingError):
        canonical_bytes({"when": WHEN})
    with pytest.raises(EncodingError):
        canonical_bytes({1: "x"})


def test_decoding_refuses_floats_and_duplicate_keys():
    with pytest.raises(EncodingError):
        decode(b'{"a":1.0}')
    with pytest.raises(EncodingError):
        decode(b'{"a":1,"a":2}')
    assert not is_canonical(b'{"b":1, "a":2}')


@given(json_values)
def test_canonical_bytes_round_trip(value):
    data = canonical_bytes(value)
    assert canonical_bytes(decode(data)) == data
    assert is_canonical(data)


def qc_event(**changes):
    fields = dict(type="qc.recorded", org="factory-1", when=WHEN, what={"lot": "L1"},
                  why={"bizStep": "inspecting", "disposition": "conformant",
                       "bizTransactionList": [{"type": "prodorder", "bizTransaction": "PO-9"}]},
                  data={"passed": True})
    fields.update(changes)
    return Event(**fields)


def test_event_round_trips_through_its_dict():
    event = qc_event()
    assert Event.from_dict(event.to_dict()) == event
    assert event.to_dict()["when"] == "2026-11-22T03:00:00Z"


def test_event_time_is_normalised_to_utc():
    local = WHEN.astimezone(timezone(timedelta(hours=8)))
    assert qc_event(when=local).to_dict()["when"] == "2026-11-22T03:00:00Z"


@pytest.mark.parametrize("changes, message", [
    ({"type": "made.up"}, "not in the vocabulary"),
    ({"type": "QC"}, "namespace.name"),
    ({"org": ""}, "org"),
    ({"when": datetime(2026, 1, 1)}, "no time zone"),
    ({"why": {"bizStep": "baking"}}, "bizStep 'baking'"),
    ({"why": {"disposition": "fine"}}, "disposition 'fine'"),
    ({"why": {"bizTransactionList": [{"type": "xx", "bizTransaction": "1"}]}}, "transaction type"),
    ({"data": {"weight": 1.5}}, "float"),
])
def test_malformed_events_are_refused_with_a_clear_reason(changes, message):
    with pytest.raises(EventError, match=message):
        qc_event(**changes)


def test_new_types_in_a_known_namespace_are_accepted():
    assert qc_event(type="payment.partially_refunded").type == "payment.partially_refunded"


def test_a_correction_is_a_new_event_naming_the_corrected_entry():
    original = qc_event()
    fixed = original.correction(index=7, leaf_hash=bytes(range(32)), data={"passed": False})
    assert fixed.corrects == Correction(index=7, leaf_hash=bytes(range(32)).hex())
    assert original.data == {"passed": True}
    assert Event.from_dict(fixed.to_dict()) == fixed


@given(st.integers(0, 2**40), st.binary(min_size=32, max_size=32), st.text(min_size=1, max_size=10),
       st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3))
def test_fast_entry_encoding_equals_canonical_encoding_of_the_envelope(index, prev, signer, data):
    event = qc_event(data=data)
    fast = encode_entry(index=index, prev_hash=prev, signer=signer, event=event)
    slow = canonical_bytes({"event": event.to_dict(), "index": index, "prev_hash": prev.hex(),
                            "signer": signer, "v": 1})
    assert fast == slow
    assert scan_link(fast) == (index, prev.hex().encode())
    assert decode_entry(fast).index == index


def test_scan_link_ignores_look_alike_keys_inside_the_event():
    event = qc_event(data={"index": 99, "prev_hash": "f" * 64})
    entry = encode_entry(index=3, prev_hash=bytes(32), signer="s", event=event)
    assert scan_link(entry) == (3, b"0" * 64)


def test_non_canonical_entries_are_rejected():
    entry = encode_entry(index=0, prev_hash=bytes(32), signer="s", event=qc_event())
    with pytest.raises(EncodingError):
        decode_entry(entry.replace(b'"index":0', b'"index": 0'))
