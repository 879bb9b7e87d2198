"""Migration 0018_mail: mail queued before it (no status, no HTML part, no Message-ID) is
still delivered; mail an operator already passed on by hand (sent_at set) is not sent again."""
from sqlalchemy import create_engine, text

from market import create_app, migrate
from market.mail import delivery
from tests.market.test_migrations import empty_url  # noqa: F401  (the fixture: a database of its own)


def test_mail_queued_before_0018_is_still_delivered_once(empty_url, tmp_path):  # noqa: F811
    migrate.upgrade(empty_url, "0017_outbox")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO outbox_emails (to_address, subject, body, created_at, sent_at) VALUES "
                          "('old@example.test', 'Reset your password', 'token=old-link', :t, NULL), "
                          "('done@example.test', 'Reset your password', 'token=passed-on', :t, :t)"),
                     {"t": "2026-01-02 03:04:05+00:00"})
    engine.dispose()
    migrate.upgrade(empty_url)
    app = create_app({"TESTING": True, "DATABASE_URL": empty_url, "SECRET_KEY": "t", "VAR_DIR": str(tmp_path),
                      "LOG_LEVEL": "WARNING", "UPLOAD_DIR": str(tmp_path / "uploads")})
    try:
        with app.app_context():
            assert delivery.send_due() == {"sent": 1}
            assert delivery.send_due() == {}
        files = list((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 1
        raw = files[0].read_bytes()
        assert b"To: old@example.test" in raw and b"token=old-link" in raw and b"Message-ID: <" in raw
    finally:
        app.extensions["db"].dispose()
