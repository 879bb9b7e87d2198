"""Tamper-evident ledger: canonical events, RFC 6962 Merkle log, signed checkpoints, anchors.

Pure library (no Flask, no ``market``).  Start with ``ledger.log.Ledger`` and
``ledger.sql_store.SqlLedgerStore``; see ``docs/ledger.md``.
"""
