"""Usage-based insurance (UBI): an insurer insures a factory's machine against breakdown
(downtime loss) or with an extended warranty; each monthly premium is priced from the machine's
measured run hours, load, downtime share, MTTR and maintenance records by a documented, monotone
tariff (tariff.py, docs/insurance.md) whose factors the insured sees; downtime claims are
pre-filled from the machine's state intervals and carry inclusion proofs of the ledger-committed
daily summaries, so the insurer verifies the loss window without trusting the platform."""
