"""SMTP_URL's TLS forms against a real server on 127.0.0.1 with a self-signed certificate:
smtps:// speaks TLS from the first byte, smtp:// upgrades with STARTTLS when offered, and
`?starttls=1` refuses to send in clear to a server that does not offer it."""
import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from market.db import unit_of_work
from market.mail import compose, delivery
from market.mail.models import OutboxEmail
from tests.market.smtp_server import SmtpServer


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    directory = tmp_path_factory.mktemp("tls")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


def _send_one(app) -> tuple[str, OutboxEmail]:
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    with app.test_request_context(), unit_of_work() as s:
        row = compose.queue(s, "password_reset_unknown", to="cy@example.test", subject="Reset your password", language="en")
        s.commit()
    with app.app_context():
        status = delivery.send(row.id)
    with app.app_context(), unit_of_work() as s:
        return status, s.get(OutboxEmail, row.id)


def test_smtps_speaks_tls_from_the_first_byte(app, tls_context):
    with SmtpServer(ssl_context=tls_context) as server:
        app.config["SMTP_URL"] = f"smtps://127.0.0.1:{server.port}?verify=0"
        assert _send_one(app)[0] == "sent"
        assert len(server.mailbox.raw) == 1


def test_smtp_upgrades_with_starttls_and_a_server_requiring_it_gets_the_mail(app, tls_context):
    with SmtpServer(tls_context=tls_context, require_starttls=True) as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}?verify=0"
        assert _send_one(app)[0] == "sent"
        assert len(server.mailbox.raw) == 1


def test_the_certificate_is_checked_unless_told_otherwise(app, tls_context):
    with SmtpServer(ssl_context=tls_context) as server:
        app.config["SMTP_URL"] = f"smtps://127.0.0.1:{server.port}"
        status, row = _send_one(app)
        assert status == "pending" and "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert server.mailbox.raw == []


def test_starttls_1_refuses_to_send_in_clear(app):
    with SmtpServer() as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}?starttls=1"
        status, row = _send_one(app)
        assert status == "pending" and "STARTTLS" in row.last_error
        assert server.mailbox.raw == []
