"""The outbox: messages are queued with the alert and delivered later, outside the
mother's request, with retries and back-off; a mail server that hangs delays nothing
she sees and is recorded and retried."""

import datetime as dt
import http.server
import socket
import threading
import urllib.parse

import pytest
from django.core import mail

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.notifications import domain as outbox
from nurture.notifications import sms
from nurture.notifications.models import Notification
from nurture.safety.models import Alert

from .. import factories as f

NOW = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def queued(world):
    f.make_safety(world.site_a, emails="oncall@example.org", phones="+1 555 010 0100")
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.keyed_answers("epds", {"10": 2}), now=NOW)
    return Alert.objects.get()


def test_queued_messages_are_sent_by_the_delivery_run_not_by_the_save(queued, sms_in_memory):
    assert mail.outbox == [] and sms_in_memory == []
    report = outbox.deliver_due(NOW)
    assert len(report.sent) == 2 and report.failed == []
    assert [m.to for m in mail.outbox] == [["oncall@example.org"]]
    assert [m["to"] for m in sms_in_memory] == ["+15550100100"]
    assert "NC-0001" in sms_in_memory[0]["body"] and "http://127.0.0.1:8000/alerts/" in sms_in_memory[0]["body"]
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert outbox.deliver_due(NOW).attempted == 0  # nothing is sent twice


def test_messages_give_the_site_local_time_with_its_zone(world, queued):
    body = Notification.objects.get(channel="email").body
    assert "02 Jan 2026 10:00 EST" in body  # 15:00 UTC at a site on New York time
    world.site_a.time_zone = "America/Los_Angeles"
    world.site_a.save()
    assessment = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.keyed_answers("epds", {"10": 2}), now=NOW)
    assert "02 Jan 2026 07:00 PST" in Notification.objects.filter(channel="email").last().body


def test_a_failed_send_is_recorded_and_retried_with_back_off(queued, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refused)
    report = outbox.deliver_due(NOW)
    assert len(report.failed) == 1 and len(report.sent) == 1  # the text message still went
    note = Notification.objects.get(channel="email")
    assert (note.status, note.attempts, note.next_attempt_at) == ("retrying", 1, NOW + dt.timedelta(seconds=30))
    assert note.last_error == "ConnectionRefusedError: mail server down"
    assert outbox.deliver_due(NOW + dt.timedelta(seconds=29)).attempted == 0
    outbox.deliver_due(NOW + dt.timedelta(seconds=30))
    note.refresh_from_db()
    assert (note.attempts, note.next_attempt_at) == (2, NOW + dt.timedelta(seconds=90))
    monkeypatch.undo()
    outbox.deliver_due(NOW + dt.timedelta(minutes=2))
    note.refresh_from_db()
    assert (note.status, note.attempts, note.sent_at) == ("sent", 3, NOW + dt.timedelta(minutes=2))
    assert [m.to for m in mail.outbox] == [["oncall@example.org"]]


def test_after_the_last_attempt_a_message_is_given_up_and_shown_as_failed(queued, monkeypatch):
    monkeypatch.setattr("django.core.mail.EmailMessage.send", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    when = NOW
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(when)
        when += dt.timedelta(hours=1)
    note = Notification.objects.get(channel="email")
    assert (note.status, note.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert outbox.deliver_due(when + dt.timedelta(days=1)).attempted == 0


def test_a_message_claimed_by_another_sender_is_not_sent_twice(queued):
    Notification.objects.update(claimed_until=NOW + outbox.LEASE)
    assert outbox.deliver_due(NOW).attempted == 0
    # A sender that died mid-send leaves a lease that runs out; then the message goes.
    assert outbox.deliver_due(NOW + outbox.LEASE).attempted == 2


def test_the_retry_delay_doubles_up_to_half_an_hour():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 12)] == [30, 60, 120, 960, 1800, 1800]


class HangingSMTPServer:
    """Accepts connections and never says a word (a mail server that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.held = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self.held.append(conn)

    def close(self):
        self.stop.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging_smtp(settings):
    server = HangingSMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 1
    yield server
    server.close()


def test_a_hanging_mail_server_never_touches_the_mothers_save_and_is_retried(world, client, hanging_smtp):
    f.make_safety(world.site_a, emails="oncall@example.org")
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    answers = {f"item-{k}": v for k, v in f.keyed_answers("epds", {"10": 3}).items()}

    response = client.post(f"/s/{token}/p/1/", answers)

    assert response.status_code == 302 and "/support/" in response["Location"]
    assert hanging_smtp.accepted == 0  # her request never spoke to the mail server
    note = Notification.objects.get(channel="email")
    assert note.status == "pending"
    report = outbox.deliver_due()
    assert len(report.failed) == 1 and hanging_smtp.accepted == 1
    note.refresh_from_db()
    assert (note.status, note.attempts) == ("retrying", 1)
    assert "timed out" in note.last_error


class FakeProvider(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        FakeProvider.received.append((self.path, self.headers["Authorization"],
                                      urllib.parse.parse_qs(self.rfile.read(length).decode())))
        self.send_response(201)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_the_twilio_backend_posts_to_the_provider_api():
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeProvider)
    threading.Thread(target=server.handle_request, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    backend = sms.parse_url(f"twilio://AC123:secret@api.twilio.com?from=%2B15550100&api={api}")
    backend.send("+15550100100", "Nurture: new alert")
    server.server_close()
    [(path, auth, form)] = FakeProvider.received
    assert path == "/2010-04-01/Accounts/AC123/Messages.json" and auth.startswith("Basic ")
    assert form == {"To": ["+15550100100"], "From": ["+15550100"], "Body": ["Nurture: new alert"]}


@pytest.mark.parametrize("url, problem", [("pager://x", "unknown SMS scheme"), ("twilio://api.twilio.com", "needs"),
                                          ("file://", "needs a folder")])
def test_a_bad_sms_url_is_refused_with_a_clear_message(url, problem):
    with pytest.raises(ValueError, match=problem):
        sms.parse_url(url)


@pytest.mark.parametrize("text, phone", [("+1 555 010 0199", "+15550100199"), ("(555) 010-0199", "+15550100199"),
                                         ("1-833-852-6262", "+18338526262"), ("988", "988"), ("+44 20 7946 0000",
                                         "+442079460000"), ("call me", None), ("+", None), ("555-0123 ext 4", None)])
def test_phone_numbers_are_normalised_or_refused(text, phone):
    assert sms.normalise_phone(text) == phone


def test_new_messages_and_text_messages_go_before_retries_of_old_ones(world, queued, monkeypatch):
    Notification.objects.update(status="retrying", attempts=3, next_attempt_at=NOW - dt.timedelta(hours=1))
    assessment = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.keyed_answers("epds", {"10": 2}), now=NOW)
    order = []
    monkeypatch.setattr(outbox, "_send", lambda note: order.append((note.alert.dyad.code, note.channel)))
    outbox.deliver_due(NOW)
    assert order == [("NC-0002", "sms"), ("NC-0002", "email"), ("NC-0001", "sms"), ("NC-0001", "email")]


def test_after_a_channel_fails_in_a_pass_its_other_messages_wait_for_the_next_pass(world, queued, monkeypatch):
    f.make_safety(world.site_a, emails="a@example.org\nb@example.org\nc@example.org", phones="+1 555 010 0100")
    assessment = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.keyed_answers("epds", {"10": 2}), now=NOW)
    tried = []

    def hangs(note):
        tried.append(note.channel)
        if note.channel == "email":
            raise TimeoutError("timed out")

    monkeypatch.setattr(outbox, "_send", hangs)
    report = outbox.deliver_due(NOW)
    assert tried == ["sms", "sms", "email"]  # both texts went; one email timed out, the others wait
    assert (len(report.sent), len(report.failed)) == (2, 1)
    assert Notification.objects.filter(channel="email", status="pending").count() == 3


def test_a_pass_stops_taking_messages_when_its_time_is_up(queued, monkeypatch):
    monkeypatch.setattr(outbox, "_send", lambda note: None)
    assert outbox.deliver_due(NOW, budget=-1).attempted == 0
    assert outbox.deliver_due(NOW).attempted == 2


def test_a_number_the_provider_refuses_is_given_up_at_once(queued, monkeypatch):
    def refused(note):
        if note.channel == "sms":
            raise sms.SMSError("provider answered 400: not a mobile number", permanent=True)

    monkeypatch.setattr(outbox, "_send", refused)
    outbox.deliver_due(NOW)
    note = Notification.objects.get(channel="sms")
    assert (note.status, note.attempts) == ("failed", 1)
