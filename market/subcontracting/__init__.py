"""Subcontracting (multi-tier): a factory booked for an order passes some of its operations
on as a sub-order of which it is the buyer; the sub-order is quoted, booked, produced and paid
like any order, one tier down (docs/subcontracting.md)."""
