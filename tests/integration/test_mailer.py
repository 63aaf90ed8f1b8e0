"""`delivery.mailer.send` against a real aiosmtpd server: plain SMTP, STARTTLS and implicit TLS
with a certificate made here, AUTH, and failures sorted into worth retrying or not, with
messages that never show the password."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from email.message import EmailMessage
from functools import partial

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from delivery.mailer import MailError, mail_configured, send
from settings import Settings
from tests.conftest import free_port
from tests.smtp import SmtpServer, _Keep

USER, PASSWORD = "reports@pulseboard.test", "s3cret-Pa55word!"
# aiosmtpd warns when a server takes passwords without TLS, as some internal relays do.
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Server(SmtpServer):
    """The tests' SMTP server with aiosmtpd's options (TLS, AUTH) and recipients it refuses."""

    def __init__(self, refuse: dict[str, str] | None = None, **smtp_parameters):
        # SmtpServer's own __init__ would start an event loop for a controller we replace.
        self.port, self.messages, self.on_message = free_port(), [], None
        self.lock, self.refuse = threading.Lock(), refuse or {}
        self._controller = Controller(_Refusing(self), hostname="127.0.0.1", port=self.port,
                                      **smtp_parameters)


class _Refusing(_Keep):
    def __init__(self, server: Server):
        super().__init__(server)
        self._refuse = server.refuse

    async def handle_RCPT(self, _server, _session, envelope, address, _options):  # aiosmtpd hook name
        if address in self._refuse:
            return self._refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def start():
    started = []

    def _start(**options) -> Server:
        server = Server(**options).start()
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusting(certificate):
    """The client's TLS context factory, trusting the test certificate (host names checked)."""
    return partial(ssl.create_default_context, cafile=str(certificate[0]))


def _settings(server: SmtpServer | None = None, **changes) -> Settings:
    values = {"env": "test", "secret_key": "x" * 40, "smtp_timeout_seconds": 10.0}
    if server is not None:
        values.update(server.settings())
    values.update(changes)
    return Settings.load(values, environ={})


def _message(to: str = "ana@example.com", subject: str = "Weekly sales") -> EmailMessage:
    message = EmailMessage()
    message["To"], message["Subject"] = to, subject
    message.set_content("Revenue is up.\n")
    return message


def _authenticator(_server, _session, _envelope, mechanism, auth_data) -> AuthResult:
    ok = mechanism in ("LOGIN", "PLAIN") and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def test_plain_smtp_delivers_to_the_recipient_from_the_configured_sender(smtp_server):
    send(_settings(smtp_server), _message())
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["ana@example.com"] and received.subject == "Weekly sales"
    assert received.message["From"] == "reports@pulseboard.test"
    assert received.body("plain").strip() == "Revenue is up."


def test_starttls_upgrades_the_connection_and_logs_in(start, server_tls, trusting):
    server = start(tls_context=server_tls, require_starttls=True, authenticator=_authenticator,
                   auth_required=True)
    settings = _settings(server, smtp_security="starttls", smtp_username=USER, smtp_password=PASSWORD)
    send(settings, _message(), tls_context=trusting)
    assert server.wait_for(1)[0].recipients == ["ana@example.com"]


def test_implicit_tls_delivers_over_ssl(start, server_tls, trusting):
    server = start(ssl_context=server_tls)
    send(_settings(server, smtp_security="ssl"), _message(), tls_context=trusting)
    assert server.wait_for(1)[0].subject == "Weekly sales"


def test_an_untrusted_certificate_is_refused_for_good(start, server_tls):
    server = start(tls_context=server_tls, require_starttls=True)
    with pytest.raises(MailError) as caught:
        send(_settings(server, smtp_security="starttls"), _message())  # the system's CAs only
    assert not caught.value.transient and "certificate" in str(caught.value)
    assert server.messages == []


def test_a_wrong_password_is_a_permanent_error_that_does_not_show_the_password(start, server_tls, trusting):
    server = start(tls_context=server_tls, require_starttls=True, authenticator=_authenticator,
                   auth_required=True)
    wrong = "wrong-Pa55word-42"
    settings = _settings(server, smtp_security="starttls", smtp_username=USER, smtp_password=wrong)
    with pytest.raises(MailError) as caught:
        send(settings, _message(), tls_context=trusting)
    error = caught.value
    assert not error.transient and "refused the login" in str(error) and "535" in str(error)
    assert wrong not in str(error) and wrong not in repr(error) and error.__cause__ is None
    assert server.messages == []


@PLAIN_AUTH
def test_a_server_that_requires_a_login_refuses_an_anonymous_sender(start):
    server = start(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    with pytest.raises(MailError) as caught:
        send(_settings(server), _message())
    assert not caught.value.transient and "530" in str(caught.value)


@PLAIN_AUTH
def test_a_login_over_plain_smtp_works_when_the_server_allows_it(start):
    server = start(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    send(_settings(server, smtp_username=USER, smtp_password=PASSWORD), _message())
    assert len(server.wait_for(1)) == 1


def test_an_unknown_recipient_is_permanent_and_a_full_mailbox_is_transient(start):
    server = start(refuse={"gone@example.com": "550 5.1.1 No such user",
                           "full@example.com": "452 4.2.2 Mailbox full"})
    with pytest.raises(MailError) as gone:
        send(_settings(server), _message("gone@example.com"))
    assert not gone.value.transient and "gone@example.com: 550 5.1.1 No such user" in str(gone.value)
    with pytest.raises(MailError) as full:
        send(_settings(server), _message("full@example.com"))
    assert full.value.transient and "452" in str(full.value)
    assert server.messages == []


def test_a_refused_connection_is_transient():
    with pytest.raises(MailError) as caught:
        send(_settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none"), _message())
    assert caught.value.transient and "Could not reach the mail server at 127.0.0.1" in str(caught.value)


def test_a_server_that_never_answers_times_out_as_transient():
    with socket.socket() as silent:  # accepts connections (the backlog) and never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = _settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                             smtp_timeout_seconds=0.3)
        with pytest.raises(MailError) as caught:
            send(settings, _message())
    assert caught.value.transient and "did not answer in time" in str(caught.value)


def test_without_smtp_host_mail_is_not_configured_and_send_says_so():
    settings = _settings()
    assert not mail_configured(settings) and mail_configured(_settings(smtp_host="mail.example.com"))
    with pytest.raises(MailError) as caught:
        send(settings, _message())
    assert not caught.value.transient and "SMTP_HOST" in str(caught.value)
