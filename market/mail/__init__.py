"""Outgoing e-mail (kernel: it knows no domain). A domain composes a message from its
templates in the recipient's language and queues it in its own unit of work
(`compose.queue`); after the commit a background job sends it (`delivery`), through the
SMTP server of SMTP_URL or, when none is configured, into the local dev inbox
(`.eml` files under VAR_DIR/mail, read on the operator's page `views.py`). A periodic sweep
sends whatever is due: a crash between the commit and the send, or a retry after a
temporary refusal.

Settings: SMTP_URL, SMTP_TIMEOUT_S and the MAIL_* variables (market/settings.py).
"""
