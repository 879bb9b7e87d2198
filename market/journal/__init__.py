"""The journal: the marketplace's handle on the pure ledger (`ledger/`). Kernel: every domain
appends its ledger events through it, so it knows no domain; the events themselves are built
by the domain they describe (e.g. market/orders/ledger_events.py)."""
