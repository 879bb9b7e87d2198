"""What the platform tells whom: one row per notification kind. The handlers
(market/notifications/handlers.py) pick the row by its event, compute the recipients from the
database by the row's audience, and write what the row says. docs/notifications.md is rendered
from this table (`market notifications`; tests/market/test_notifications_catalogue.py
compares them).

Texts are lazy (rendered in the reader's language when shown or mailed) and take only the
params their recipients may know: never a price, a budget or another factory's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from market.catalog.taxonomy import taxonomy
from market.i18n import label

# Who receives a kind by default; computed at fan-out (market/notifications/recipients.py).
AUDIENCES = {
    "buyer": "the members of the order's buyer organization",
    "booked": "the members of the factories the accepted quote places work with",
    "invited": "the members of the factories invited to quote on the order (an invitation: the one invited)",
    "not_booked": "the members of factories invited to quote on the order that the accepted quote does not use",
    "thread": "the members of every organization that reads the order's thread (buyer, invited, booked), "
              "except the author's",
    "factory": "the members of the factory concerned (its machine, its re-plan)",
    "rated": "the members of the factories a rating rates (those the order's accepted quote placed work with)",
    "operator": "the platform operator's members",
    "user": "the user concerned",
    "owners": "the organization's owners",
    "bidder": "the members of the factory that made the bid",
    "bidder_not_invited": "the members of a factory whose bid ended without being chosen, unless it was invited "
                          "to quote (then order.awarded_elsewhere or order.cancelled tells it)",
    "next_factory": "the members of the factories that make the lot's next operation",
    "lender": "the members of the lender concerned (its consent, its alert)",
    "insurer": "the members of the insurer of the policy",
    "insured": "the members of the factory whose machine the policy insures",
    "lessor": "the members of the lease's lessor",
    "lessee": "the members of the lease's lessee (the factory's organization)",
}

# Where a notification leads: link kind -> (endpoint, URL argument of the public id)
LINKS = {
    "order": ("orders.show", "order_id"),
    "machine": ("catalog.machine", "machine_id"),
    "tokens": ("accounts.tokens", None),
    "team": ("accounts.team", None),
    "account": ("notifications.preferences", None),
    "bid": ("bidding.show", "bid_id"),
    "credit": ("credit.index", None),
    "lease": ("leasing.detail", "lease_id"),
    "webhook": ("webhooks.endpoint", "endpoint_id"),
    "policy": ("insurance.detail", "policy_id"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    event: str  # the domain event (and the move) that raises it
    audience: tuple[str, ...]  # keys of AUDIENCES
    action: bool  # action needed: e-mail on by default
    link: str  # key of LINKS
    title: object  # lazy string, %(name)s params
    body: object


KINDS: tuple[Kind, ...] = (
    # orders: invitations, the lifecycle, the thread
    Kind("quote.invited", "orders.QuoteRequested", ("invited",), True, "order",
         _l("You are invited to quote"),
         _l("%(buyer)s asks you to quote on “%(order)s” (%(quantity)s pcs, due %(due)s).")),
    Kind("order.booked", "orders.OrderMoving → accepted", ("booked",), True, "order",
         _l("Your factory was booked"),
         _l("“%(order)s” was accepted with work for your factory, starting %(start)s. Plan the work.")),
    Kind("order.awarded_elsewhere", "orders.OrderMoving → accepted", ("not_booked",), False, "order",
         _l("Order awarded"),
         _l("“%(order)s”, which you were invited to quote on, has been awarded. Thank you for quoting.")),
    Kind("order.cancelled", "orders.OrderMoving → cancelled", ("booked", "invited"), False, "order",
         _l("Order cancelled"),
         _l("“%(order)s” was cancelled by the buyer; capacity booked for it is free again.")),
    Kind("order.in_production", "orders.OrderMoving → in_production", ("buyer",), False, "order",
         _l("Production started"),
         _l("Production of “%(order)s” has started.")),
    Kind("order.shipped", "orders.OrderMoving → shipped", ("buyer",), True, "order",
         _l("Order shipped"),
         _l("“%(order)s” was shipped. Confirm the delivery when it arrives.")),
    Kind("order.delivered", "orders.OrderMoving → delivered", ("booked",), False, "order",
         _l("Order delivered"),
         _l("The buyer confirmed the delivery of “%(order)s”; the payout follows.")),
    Kind("dispute.opened", "orders.OrderMoving → disputed", ("operator", "booked"), True, "order",
         _l("Dispute opened"),
         _l("The buyer opened a dispute on “%(order)s”.")),
    Kind("dispute.resolved", "orders.OrderMoving disputed → closed/delivered", ("buyer", "booked"), False, "order",
         _l("Dispute resolved"),
         _l("The operator resolved the dispute on “%(order)s”: the order is now %(state)s.")),
    Kind("message.posted", "orders.MessagePosted", ("thread",), False, "order",
         _l("New message"),
         _l("%(author)s wrote on “%(order)s”: %(excerpt)s")),
    # matching: quotes and re-plans
    Kind("quotes.ready", "matching.QuotesReady", ("buyer",), True, "order",
         _l("Quotes are ready"),
         _l("%(count)s quote(s) for “%(order)s” are ready to compare and accept.")),
    Kind("quotes.none", "matching.NoQuotePossible", ("buyer",), True, "order",
         _l("No quote possible"),
         _l("No quote could be made for “%(order)s”: %(reason)s")),
    Kind("replan.done", "matching.Replanned", ("buyer", "factory"), False, "order",
         _l("Work re-planned"),
         _l("A machine stopped; the work on “%(order)s” was moved and now ends %(ends)s.")),
    Kind("replan.failed", "matching.ReplanFailed", ("buyer", "factory"), True, "order",
         _l("Re-plan failed"),
         _l("A machine stopped and operation(s) %(operations)s of “%(order)s” could not be moved; "
            "the work stays booked on it.")),
    # bidding: factory bids and counter-offers (a losing bidder never learns who won or at what price)
    Kind("bid.submitted", "bidding.BidSubmitted (revision 1)", ("buyer",), True, "bid",
         _l("New bid"),
         _l("%(factory)s bid on “%(order)s”. Compare it with the other offers.")),
    Kind("bid.revised", "bidding.BidSubmitted (revision > 1)", ("buyer",), False, "bid",
         _l("Bid revised"),
         _l("%(factory)s revised its bid on “%(order)s”.")),
    Kind("bid.withdrawn", "bidding.BidWithdrawn", ("buyer",), False, "bid",
         _l("Bid withdrawn"),
         _l("%(factory)s withdrew its bid on “%(order)s”.")),
    Kind("bid.countered", "bidding.BidCountered", ("bidder",), True, "bid",
         _l("Counter-offer on your bid"),
         _l("The buyer of “%(order)s” made a counter-offer on your bid: accept it, reject it or revise your bid.")),
    Kind("bid.counter_accepted", "bidding.CounterAnswered (accepted)", ("buyer",), True, "bid",
         _l("Counter-offer accepted"),
         _l("%(factory)s accepted your counter-offer on “%(order)s”; accept the bid to book it.")),
    Kind("bid.counter_rejected", "bidding.CounterAnswered (rejected)", ("buyer",), False, "bid",
         _l("Counter-offer rejected"),
         _l("%(factory)s rejected your counter-offer on “%(order)s”; its own terms stand.")),
    Kind("bid.rejected", "bidding.BidRejected", ("bidder",), False, "bid",
         _l("Bid declined"),
         _l("The buyer declined your bid on “%(order)s”.")),
    Kind("bid.accepted", "bidding.BidAccepted", ("bidder",), True, "bid",
         _l("Your bid was accepted"),
         _l("Your bid on “%(order)s” was accepted and your capacity is booked for it. Plan the work.")),
    Kind("bid.lost", "bidding.BidLost (awarded)", ("bidder_not_invited",), False, "bid",
         _l("Order awarded elsewhere"),
         _l("“%(order)s”, which you bid on, has been awarded elsewhere. Thank you for bidding.")),
    Kind("bid.closed", "bidding.BidLost (cancelled)", ("bidder_not_invited",), False, "bid",
         _l("Order cancelled"),
         _l("“%(order)s”, which you bid on, was cancelled by the buyer.")),
    Kind("bid.expired", "bidding.BidExpired", ("bidder",), False, "bid",
         _l("Bid expired"),
         _l("Your bid on “%(order)s” expired: its validity ended before the buyer took it. Bid again if you still "
            "want the work.")),
    # production
    Kind("qc.failed", "production.QcFailed", ("buyer", "booked"), True, "order",
         _l("QC failed"),
         _l("An inspection of lot %(lot)s of “%(order)s” failed (%(step)s).")),
    Kind("lot.started", "production.LotStarted", ("buyer",), False, "order",
         _l("Lot started"),
         _l("Lot %(lot)s of “%(order)s” is on the shop floor: operation #%(seq)s has started.")),
    Kind("operation.finished", "production.OperationFinished", ("buyer", "next_factory"), False, "order",
         _l("Operation finished"),
         _l("Operation #%(seq)s of lot %(lot)s of “%(order)s” finished: %(good)s good, %(rejected)s rejected.")),
    # payments: the buyer's money, the factories' payouts
    Kind("payment.requested", "payments.PaymentRequested", ("buyer",), True, "order",
         _l("Payment requested"),
         _l("Please pay %(amount)s for “%(order)s” (reference %(reference)s); it is held until delivery.")),
    Kind("payment.received", "payments.PaymentReceived", ("buyer", "booked"), False, "order",
         _l("Payment received"),
         _l("The payment for “%(order)s” was received and is held until delivery.")),
    Kind("payment.overdue", "payments.PaymentOverdue", ("buyer",), True, "order",
         _l("Payment overdue"),
         _l("The payment for “%(order)s” (reference %(reference)s) is still open %(days)s days after you "
            "accepted the quote.")),
    Kind("payout.sent", "payments.PayoutSent", ("factory",), False, "order",
         _l("Payout sent"),
         _l("%(amount)s for “%(order)s” was paid out to your account.")),
    Kind("payment.refunded", "payments.RefundIssued", ("buyer",), False, "order",
         _l("Refund issued"),
         _l("%(amount)s for “%(order)s” was refunded to you.")),
    Kind("delivery.auto_confirm_soon", "payments.AutoConfirmComing", ("buyer",), True, "order",
         _l("Delivery will be confirmed automatically"),
         _l("“%(order)s” will be confirmed as delivered on %(at)s, and the factories paid, unless you confirm "
            "it or open a dispute before.")),
    # credit: consents, reports, financing, lender alerts
    Kind("consent.granted", "credit.ConsentGranted", ("lender",), False, "credit",
         _l("Consent granted"),
         _l("%(factory)s lets you read its credit data (%(purpose)s) until %(until)s.")),
    Kind("consent.revoked", "credit.ConsentRevoked", ("lender",), False, "credit",
         _l("Consent revoked"),
         _l("%(factory)s withdrew its consent (%(purpose)s); you may no longer read its credit data.")),
    Kind("consent.expiring", "credit.ConsentExpiring", ("factory", "lender"), True, "credit",
         _l("Consent ending"),
         _l("The consent of %(factory)s to %(lender)s (%(purpose)s) ends %(until)s.")),
    Kind("credit.report_issued", "credit.CreditReportIssued", ("factory",), False, "credit",
         _l("Credit report issued"),
         _l("%(lender)s was issued a credit report on %(factory)s.")),
    Kind("financing.decided", "credit.FinancingDecided", ("factory",), True, "credit",
         _l("Financing decided"),
         _l("%(lender)s decided your application for %(applied)s: %(state)s.")),
    Kind("financing.disbursed", "credit.FinancingDisbursed", ("factory",), False, "credit",
         _l("Financing paid out"),
         _l("%(lender)s paid out %(amount)s; instalment #1 is due on %(due)s.")),
    Kind("financing.instalment_due", "credit.InstalmentDue", ("factory",), True, "credit",
         _l("Instalment due"),
         _l("Instalment #%(seq)s of %(amount)s to %(lender)s is due on %(due)s.")),
    Kind("financing.instalment_overdue", "credit.InstalmentOverdue", ("factory", "lender"), True, "credit",
         _l("Instalment overdue"),
         _l("Instalment #%(seq)s of %(amount)s from %(factory)s to %(lender)s was due on %(due)s and is not paid.")),
    Kind("lender.alert", "credit.LenderAlertRaised", ("lender",), True, "credit",
         _l("Alert on a factory"),
         _l("%(factory)s: %(alert)s")),
    # leasing: offers, signatures, rent, the leased machine (fund-flow monitoring)
    Kind("lease.offered", "leasing.LeaseOffered", ("lessee",), True, "lease",
         _l("Lease offered"),
         _l("%(lessor)s offers to lease %(machine)s to you: %(price)s over %(months)s months. Sign or decline.")),
    Kind("lease.signed", "leasing.LeaseSigned", ("lessor",), True, "lease",
         _l("Lease signed"),
         _l("%(lessee)s signed the lease of %(machine)s. Disburse the price to the supplier.")),
    Kind("lease.declined", "leasing.LeaseSigned", ("lessor",), False, "lease",
         _l("Lease declined"),
         _l("%(lessee)s declined the lease of %(machine)s.")),
    Kind("lease.rent_invoiced", "leasing.RentInvoiced", ("lessee", "lessor"), True, "lease",
         _l("Rent invoiced"),
         _l("Rent for period %(period)s of the lease of %(machine)s: %(rent)s, due on %(due)s.")),
    Kind("lease.rent_overdue", "leasing.RentOverdue", ("lessee", "lessor"), True, "lease",
         _l("Rent overdue"),
         _l("The rent for period %(period)s of the lease of %(machine)s (%(rent)s) was due on %(due)s and is not paid.")),
    Kind("lease.machine_alert", "leasing.LeasedMachineAlert", ("lessor",), True, "lease",
         _l("Alert on a leased machine"),
         _l("%(factory)s: %(alert)s")),
    # credit: ratings
    Kind("rating.received", "credit.RatingPosted", ("rated",), False, "order",
         _l("New rating"),
         _l("The buyer of “%(order)s” rated your work %(stars)s of 5 stars. You may reply once, in public.")),
    # insurance: policies, premiums, claims (amounts only to the two parties)
    Kind("policy.issued", "insurance.PolicyIssued", ("insurer", "insured"), False, "policy",
         _l("Policy issued"),
         _l("%(machine)s is insured by %(insurer)s (%(coverage)s) from %(start)s to %(end)s.")),
    Kind("premium.invoiced", "insurance.PremiumInvoiced", ("insured",), True, "policy",
         _l("Premium invoiced"),
         _l("The premium of %(machine)s from %(start)s is %(amount)s (×%(multiplier)s of the base rate), "
            "due on %(due)s. The policy page shows which factors moved it.")),
    Kind("claim.filed", "insurance.ClaimFiled", ("insurer",), True, "policy",
         _l("Claim filed"),
         _l("%(insured)s claims %(amount)s for %(hours)s hours of downtime of %(machine)s. Verify the loss window "
            "against the ledger and decide.")),
    Kind("claim.decided", "insurance.ClaimDecided", ("insured",), True, "policy",
         _l("Claim decided"),
         _l("%(insurer)s decided your claim for %(machine)s: %(state)s, %(amount)s.")),
    # telemetry
    Kind("machine.down", "telemetry.MachineWentDown", ("factory",), True, "machine",
         _l("Machine down"),
         _l("%(machine)s has been down past the alert threshold with work booked on it; a re-plan was requested.")),
    # subcontracting: the tiers under an order (never a tier's price, never an unconsenting factory's name)
    Kind("suborder.delayed", "subcontracting.SubOrderDelayed", ("buyer",), True, "order",
         _l("Delay from a sub-tier"),
         _l("A subcontracted operation runs late: “%(order)s” will now be done %(new)s.")),
    Kind("suborder.cancelled", "subcontracting.SubOrderCancelled", ("buyer",), True, "order",
         _l("Sub-order cancelled"),
         _l("The sub-order “%(order)s” you placed was cancelled; its operations are yours again.")),
    Kind("suborder.cancel_blocked", "subcontracting.SubOrderCancelBlocked", ("booked", "operator"), True, "order",
         _l("Cancellation needs your agreement"),
         _l("The order “%(order)s” was subcontracted from was cancelled while it is in production: "
            "say whether you stop or finish the work.")),
    # accounts: security
    Kind("security.password_changed", "accounts.SecurityActivity password.reset", ("user",), True, "account",
         _l("Your password was changed"),
         _l("Your password was reset. If this was not you, reset it again and tell your organization's owner.")),
    Kind("security.locked", "accounts.SecurityActivity account.locked", ("user",), True, "account",
         _l("Sign-in locked"),
         _l("Too many failed sign-ins: signing in is locked for %(minutes)s minutes.")),
    Kind("security.token_created", "accounts.SecurityActivity token.created", ("owners",), True, "tokens",
         _l("New API token"),
         _l("An API token “%(name)s” (%(scope)s, %(prefix)s…) was created for your organization.")),
    Kind("security.new_address", "accounts.SecurityActivity login.succeeded", ("user",), True, "account",
         _l("Sign-in from a new address"),
         _l("Your account was signed in to from %(address)s, an address not used before. If this was not you, "
            "reset your password.")),
    Kind("security.member_added", "accounts.SecurityActivity member.added", ("owners",), False, "team",
         _l("Member added"),
         _l("%(member)s was added to your organization.")),
    # notifications: the organization's own outbound channels
    Kind("webhook.disabled", "notifications.WebhookEndpointDisabled", ("owners",), True, "webhook",
         _l("Webhook endpoint disabled"),
         _l("%(url)s was disabled after failing persistently (%(reason)s). Fix the receiver, then enable it again.")),
)

BY_NAME = {k.name: k for k in KINDS}

# NoQuotePossible.reason (market/matching/domain_events.py) as the buyer reads it
REASONS = {
    "no_capacity": _l("no open capacity can make this order; try a later due date."),
    "value_not_declared": _l("capacity priced as a share of the job value was left out because the order "
                             "declares no part value; declare it or try a later due date."),
    "over_ceiling": _l("every way to make it costs more than the ceiling of one quote; split it into smaller orders."),
}


# appended to a no-quote reason when the solve names the operation short of capacity
BOTTLENECK = _l("The operation short of capacity: #%(seq)s %(process)s.")


def process_name(code: str, language: str) -> str:
    process = taxonomy().processes.get(code)
    return process.name(language) if process else code


# LenderAlertRaised.kind (market/credit/alerts.py) as the lender reads it; its facts are params
ALERTS = {
    "grade_drop": _l("the credit grade fell from %(from)s to %(to)s."),
    "oee_collapse": _l("OEE of the last %(days)s days is %(recent)s against %(baseline)s before."),
    "machine_down": _l("%(machine)s has been down for %(hours)s hours."),
    # leasing's fund-flow monitoring (market/leasing/monitoring.py)
    "down_48h": _l("the leased machine %(machine)s has been down for 48 hours or more."),
    "idle": _l("the leased machine %(machine)s has not run for 7 days."),
    "moved": _l("the leased machine %(machine)s was moved to another factory."),
}


_CODED = ("reason", "state", "purpose", "alert")


@lru_cache(maxsize=None)
def _texts(kind_name: str, language: str) -> tuple[str, str]:
    """A kind's title and body templates in `language` (the catalogues do not change while the
    process runs; a fan-out renders thousands, and each lookup under force_locale costs)."""
    kind = BY_NAME[kind_name]
    with force_locale(language):
        return str(kind.title), str(kind.body)


def render(kind_name: str, params: dict, language: str) -> tuple[str, str]:
    """(title, body) of a notification in `language` ('en', 'zh_CN')."""
    kind = BY_NAME[kind_name]
    if not any(coded in params for coded in _CODED):  # nothing to translate but the texts
        title, body = _texts(kind_name, language)
        try:
            return title % params, body % params
        except (KeyError, TypeError, ValueError):
            return title % {}, ""
    with force_locale(language):
        values = dict(params)
        if "reason" in values:
            values["reason"] = str(REASONS.get(values["reason"], values["reason"]))
            short = values.get("bottleneck")
            if isinstance(short, dict) and short.get("process"):
                values["reason"] += " " + str(BOTTLENECK) % {"seq": short.get("seq", "?"),
                                                             "process": process_name(short["process"], language)}
        for coded in ("state", "purpose", "coverage"):
            if coded in values:
                values[coded] = str(label(values[coded]))
        if values.get("alert") in ALERTS:
            try:
                values["alert"] = str(ALERTS[values["alert"]]) % values
            except (KeyError, TypeError, ValueError):
                values["alert"] = str(label(values["alert"]))
        try:
            return str(kind.title) % values, str(kind.body) % values
        except (KeyError, TypeError, ValueError):  # a row written by an older catalogue: the title still says what
            return str(kind.title) % {}, ""


def wants_email_by_default(kind_name: str) -> bool:
    return BY_NAME[kind_name].action


def markdown_table() -> str:
    """docs/notifications.md's table, from KINDS (English)."""
    rows = ["| kind | event | who receives it | action needed (e-mail on) | leads to | title |",
            "|---|---|---|---|---|---|"]
    with force_locale("en"):
        for k in KINDS:
            who = "; ".join(AUDIENCES[a] for a in k.audience)
            rows.append(f"| `{k.name}` | {k.event} | {who} | {'yes' if k.action else 'no'} | {k.link} | {k.title} |")
    return "\n".join(rows) + "\n"
