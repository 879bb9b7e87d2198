"""Payments and platform revenue: the buyer's charge at acceptance, factory payouts on
delivery minus commission, refunds, reversals and disputes, over a provider (offline bank
transfer by default, Stripe Connect when configured)."""
