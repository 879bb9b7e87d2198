"""Security audit log: who signed in, failed, was locked out, made or revoked a token,
reset a password or was given a role. Private to the operator (never on the ledger)."""
