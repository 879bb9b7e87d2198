"""Equipment leasing: a lessor (a lender organization) leases a specific machine to the
factory that runs it — new from an equipment supplier, or sale-and-leaseback — with rent that
is fixed, usage-based (per run hour from the machine's ledger-committed daily summaries, with
a floor) or both; rent invoices that lessee and lessor re-verify from ledger proofs alone;
fund-flow monitoring (the supplier is paid, the machine is watched, rent behaviour recorded)."""
