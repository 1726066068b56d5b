import datetime as dt
import re
import time

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.utils import timezone

from nurture.capture import domain as capture
from nurture.capture.enums import AssessmentStatus, Timepoint
from nurture.capture.models import Assessment, ItemResponse
from nurture.safety.models import Alert

from .. import factories as f


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()


@pytest.fixture
def survey(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    return assessment, token


def page(token, n):
    return f"/s/{token}/p/{n}/"


def test_the_start_page_needs_no_login_and_shows_no_identifiers(client, survey):
    _, token = survey
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Leakwell" not in html and "Aurelia" not in html and "NC-0001" not in html


def test_a_token_opens_only_its_own_assessment(client, world, survey):
    assessment, token = survey
    other = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    _, other_token = capture.issue_link(world.coordinator, other)
    client.post(page(token, 2), {f"item-{k}": v for k, v in f.all_items("gad7", 1).items()})
    assert ItemResponse.objects.filter(assessment=assessment).count() == 7
    assert ItemResponse.objects.filter(assessment=other).count() == 0
    assert client.get(page(other_token, 2)).status_code == 200


def test_unknown_revoked_and_expired_tokens_are_refused(client, world, survey):
    assessment, token = survey
    assert client.get("/s/not-a-real-token/").status_code == 404
    capture.revoke_links(world.coordinator, assessment)
    response = client.get(f"/s/{token}/")
    assert response.status_code == 410 and "no longer active" in response.content.decode()
    link, fresh = capture.issue_link(world.coordinator, assessment)
    link.expires_at = timezone.now() - dt.timedelta(minutes=1)
    link.save()
    response = client.post(page(fresh, 1), {"item-1": "0"})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not ItemResponse.objects.exists()


def test_guessing_tokens_is_rate_limited(client, survey):
    _, token = survey
    for i in range(20):
        assert client.get(f"/s/guess{i}/").status_code == 404
    assert client.get(f"/s/{token}/").status_code == 429


def test_guessing_counts_are_shared_by_server_processes_and_end_with_their_window(client, survey):
    """The counts are not in a process's memory (each gunicorn worker has its own): clearing
    that memory, as another process would see it, blocks the address all the same."""
    import time_machine

    from nurture.accounts.models import AuditEvent
    from nurture.survey.throttle import GUESS_LIMIT, WINDOW_SECONDS

    _, token = survey
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for i in range(GUESS_LIMIT - 1):
            assert client.get(f"/s/guess{i}/").status_code == 404
        cache.clear()  # another process's memory: it has counted nothing
        assert Client().get(f"/s/{token}/").status_code == 200
        assert client.get("/s/one-more/").status_code == 404  # the 20th, counted with the other 19
        cache.clear()
        assert client.get(f"/s/{token}/").status_code == 429
        clock.shift(dt.timedelta(seconds=WINDOW_SECONDS - 5))
        assert client.get(f"/s/{token}/").status_code == 429  # still within the window of the first guess
        clock.shift(dt.timedelta(seconds=10))
        assert client.get(f"/s/{token}/").status_code == 200
    assert AuditEvent.objects.filter(summary__startswith="Survey links blocked").count() == 1


class CookielessClient(Client):
    """A phone, or an app's own browser, that keeps no cookie (and Django's CSRF checks on)."""

    def __init__(self):
        super().__init__(enforce_csrf_checks=True)

    def request(self, **request):
        self.cookies.clear()
        return super().request(**request)


def test_a_browser_that_keeps_no_cookies_still_saves_every_answer_and_sends(survey):
    """The link is the credential: a CSRF check would lose the answers of such a browser."""
    assessment, token = survey
    phone = CookielessClient()
    html = phone.get(page(token, 1)).content.decode()
    assert 'name="item-10"' in html
    answers = {f"item-{k}": v for k, v in f.epds_answers(self_harm_keyed=2).items()}
    response = phone.post(page(token, 1), answers)
    assert response.status_code == 302 and response["Location"].startswith(f"/s/{token}/support/")
    assert Alert.objects.filter(assessment=assessment, rule="self_harm", severity="urgent").exists()
    assert phone.post(page(token, 2) + "answer/", {"item": "item-1", "value": "1"}).json() == {"saved": True}
    for n, instrument in enumerate(assessment.instruments[1:], start=2):
        assert phone.post(page(token, n), {f"item-{k}": v for k, v in f.all_items(instrument, 1).items()
                                           if instrument != "feedback"}).status_code == 302
    assert phone.post(f"/s/{token}/review/").status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED


def test_staff_forms_keep_their_csrf_check(client, world):
    staff = Client(enforce_csrf_checks=True)
    assert staff.post("/login/", {"username": "coordinator", "password": "x"}).status_code == 403


def _block_the_address():
    """Unknown links from the address of every test client until it is blocked (20 in all)."""
    guesser = Client()
    statuses = [guesser.get(f"/s/guess{i}/").status_code for i in range(21)]
    assert statuses.count(404) <= 20 and statuses[-1] == 429
    return guesser


def test_a_mother_already_answering_is_not_stopped_by_guesses_from_her_address(world, survey):
    """A clinic's Wi-Fi or a mobile carrier puts many phones behind one address: someone
    else's guesses must not lose the page she is saving, least of all a risk answer."""
    assessment, token = survey
    mother = Client()
    assert mother.get(f"/s/{token}/").status_code == 200  # she opened her link: it left its pass
    guesser = _block_the_address()
    assert guesser.get(f"/s/{token}/").status_code == 429  # found her link, but holds no pass
    assert Client().get(f"/s/{token}/").status_code == 429  # a browser that never opened it
    answers = {f"item-{k}": v for k, v in f.epds_answers(self_harm_keyed=2).items()}
    response = mother.post(page(token, 1), answers)
    assert response.status_code == 302 and response["Location"].startswith(f"/s/{token}/support/")
    assert "link_pass" not in response["Location"]  # her cookie is enough: addresses stay short
    assert ItemResponse.objects.filter(assessment=assessment, instrument="epds").count() == 10
    assert Alert.objects.filter(assessment=assessment, rule="self_harm", severity="urgent").exists()
    assert mother.get(response["Location"]).status_code == 200
    assert mother.post(page(token, 2) + "answer/", {"item": "item-1", "value": "1"}).json() == {"saved": True}
    assert mother.get(page(token, 3)).status_code == 200


def test_a_pass_opens_only_its_own_assessment_and_cannot_be_made_without_the_secret(world, survey):
    assessment, token = survey
    other = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    _, other_token = capture.issue_link(world.coordinator, other)
    mother = Client()
    mother.get(f"/s/{token}/")
    name = "nurture_links"
    her_pass = mother.cookies[name].value
    _block_the_address()
    assert mother.get(f"/s/{token}/").status_code == 200
    assert mother.get(f"/s/{other_token}/").status_code == 429  # her pass holds her assessment only
    assert mother.get("/s/guess-on/").status_code == 429  # a pass does not open guessing
    _, reissued = capture.issue_link(world.coordinator, assessment, revoke_others=True)  # "Re-issue"
    assert mother.get(f"/s/{token}/").status_code == 429  # no 410 to a blocked address
    assert mother.get(f"/s/{reissued}/").status_code == 200  # her new link, on the phone she used
    from django.core import signing

    from nurture.survey.throttle import PASS_SALT, _pass_key

    entry = f"{_pass_key(other.pk)}:{int(time.time()) + 3600}"
    forged = Client()
    forged.cookies[name] = entry  # the right entry, unsigned
    assert forged.get(f"/s/{other_token}/").status_code == 429
    forged.cookies[name] = her_pass.replace(her_pass.split(":")[0], _pass_key(other.pk))  # another's signature
    assert forged.get(f"/s/{other_token}/").status_code == 429
    signed_elsewhere = signing.TimestampSigner(key="another site's secret " * 3, salt=name + PASS_SALT)
    forged.cookies[name] = signed_elsewhere.sign(entry)
    assert forged.get(f"/s/{other_token}/").status_code == 429
    forged.cookies[name] = signing.get_cookie_signer(salt=name + PASS_SALT).sign(entry)  # what the server signs
    assert forged.get(f"/s/{other_token}/").status_code == 200  # (the test holds the secret)


def test_the_pass_names_no_link_lasts_as_long_as_them_and_stays_small(world, survey, settings):
    assessment, token = survey
    link = assessment.links.get()
    response = Client().get(f"/s/{token}/")
    cookie = response.cookies["nurture_links"]
    assert cookie["path"] == "/s/" and cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    from nurture.survey.throttle import _pass_key

    assert token not in cookie.OutputString()  # a keyed hash of the assessment, not its link or id
    assert cookie.value.startswith(f"{_pass_key(assessment.pk)}:{int(link.expires_at.timestamp())}:")
    assert abs(int(cookie["max-age"]) - (link.expires_at - timezone.now()).total_seconds()) < 60
    assert not Client().get("/s/not-a-link/").cookies  # only a real link leaves a pass
    settings.SITE_HTTPS = True
    response = Client().get(f"/s/{token}/", secure=True)
    assert "nurture_links" not in response.cookies and response.cookies["__Secure-nurture_links"]["secure"]
    again = Client()
    again.get(f"/s/{token}/", secure=True)
    assert "__Secure-nurture_links" not in again.get(page(token, 1), secure=True).cookies  # set once
    settings.SITE_HTTPS = False
    tablet = Client()  # a clinic tablet: many mothers' links
    tokens = []
    for k in range(12):
        dyad = f.make_enrolled(world.study, world.site_a, (world.cohort1, world.cohort2)[k % 2], first_name=f"T{k}")
        _, t = capture.issue_link(world.coordinator, capture.schedule_assessment(world.coordinator, dyad,
                                                                                 Timepoint.PRE))
        assert tablet.get(f"/s/{t}/").status_code == 200
        tokens.append(t)
    assert len(tablet.cookies["nurture_links"].value) < 400  # the latest 8 assessments only
    _block_the_address()
    assert [tablet.get(f"/s/{t}/").status_code for t in tokens] == [429] * 4 + [200] * 8
    caches["throttle"].clear()  # the block ends
    assert tablet.get(f"/s/{tokens[4]}/").status_code == 200  # the oldest she holds, answering again
    for t in tokens[:2]:
        tablet.get(f"/s/{t}/")
    _block_the_address()
    assert tablet.get(f"/s/{tokens[4]}/").status_code == 200  # kept: she came back after the others
    assert tablet.get(f"/s/{tokens[5]}/").status_code == 429


def test_a_browser_that_keeps_no_cookies_carries_its_pass_in_the_page(survey):
    """Blocked mid-page, a phone without cookies still saves: the form holds the same pass."""
    import re

    assessment, token = survey
    phone = CookielessClient()
    html = phone.get(page(token, 1)).content.decode()
    carried = re.search(r'name="link_pass" value="([^"]+)"', html)[1]
    _block_the_address()
    answers = {f"item-{k}": v for k, v in f.epds_answers(self_harm_keyed=2).items()}
    assert phone.post(page(token, 1), answers).status_code == 429  # a form without its pass
    assert not ItemResponse.objects.exists()
    response = phone.post(page(token, 1), answers | {"link_pass": carried})
    assert response.status_code == 302 and response["Location"].startswith(f"/s/{token}/support/")
    assert Alert.objects.filter(assessment=assessment, rule="self_harm", severity="urgent").exists()
    crisis = phone.get(response["Location"])  # the pass goes along: the blocked network hides no help
    assert crisis.status_code == 200 and "988" in crisis.content.decode()
    assert phone.get(response["Location"].split("&link_pass=")[0]).status_code == 429  # without it
    assert phone.post(page(token, 2) + "answer/", {"item": "item-1", "value": "1", "link_pass": carried}).json() \
        == {"saved": True}
    response = phone.post(f"/s/{token}/review/", {"link_pass": carried})
    assert response.status_code == 302 and phone.get(response["Location"]).status_code == 200  # done
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    other = Client()
    assert other.post("/s/guess-x/", {"link_pass": carried}).status_code == 429
    assert other.post(page(token, 1), {"link_pass": carried + "x"}).status_code == 429  # tampered


def test_rotating_the_secret_key_keeps_mothers_passes(survey, settings):
    import re

    _, token = survey
    mother, phone = Client(), CookielessClient()
    mother.get(f"/s/{token}/")
    carried = re.search(r'name="link_pass" value="([^"]+)"', phone.get(page(token, 1)).content.decode())[1]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-site-" * 3
    _block_the_address()
    response = mother.get(f"/s/{token}/")
    assert response.status_code == 200 and response.cookies  # her entry, made again with the new key
    assert phone.post(page(token, 1), {"link_pass": carried}).status_code == 302
    settings.SECRET_KEY_FALLBACKS = []
    assert mother.get(f"/s/{token}/").status_code == 200
    assert phone.post(page(token, 1), {"link_pass": carried}).status_code == 429  # the old key is gone


def test_unknown_links_from_a_pass_holder_still_count(survey):
    from nurture.survey.throttle import _address_key, _guesses

    _, token = survey
    mother = Client()
    mother.get(f"/s/{token}/")
    from django.test import RequestFactory

    request = RequestFactory().get("/")  # the address of every test client
    _block_the_address()
    before = _guesses(_address_key(request), time.time())[0]
    assert [mother.get(f"/s/more-{i}/").status_code for i in range(5)] == [429] * 5
    assert _guesses(_address_key(request), time.time())[0] == before + 5


def test_a_pass_ends_with_the_links_it_was_given_for(world, survey):
    import time_machine

    assessment, token = survey
    mother = Client()
    mother.get(f"/s/{token}/")
    with time_machine.travel(timezone.now() + dt.timedelta(days=29), tick=False):  # her link ended at 28 days
        _, fresh = capture.issue_link(world.coordinator, assessment, revoke_others=True)
        _block_the_address()
        assert mother.get(f"/s/{fresh}/").status_code == 429  # the pass ended with the link it came from
        assert Client().get(f"/s/{fresh}/").status_code == 429


def test_a_pass_does_not_lift_the_limit_of_requests_per_link(survey, monkeypatch):
    from nurture.survey import throttle

    _, token = survey
    monkeypatch.setattr(throttle, "LINK_LIMIT", 5)
    mother = Client()
    assert [mother.get(f"/s/{token}/").status_code for _ in range(6)] == [200] * 5 + [429]
    _block_the_address()
    assert mother.get(f"/s/{token}/").status_code == 429


def test_a_whole_survey_in_spanish_with_autosave_review_and_submit(client, world, survey):
    assessment, token = survey
    assert "Comenzar" in client.get(f"/s/{token}/?lang=es").content.decode()
    html = client.get(page(token, 1)).content.decode()  # the cookie remembers Spanish
    assert 'lang="es"' in html and "Guardar y continuar" in html and "Página 1 de 7" in html
    for n, instrument in enumerate(assessment.instruments, start=1):
        answers = f.all_items(instrument, {"epds": 0, "pbq": 5, "ibqr_vsf": 4, "pss": 3}.get(instrument, 1))
        if instrument == "epds":
            answers = f.epds_answers()
        response = client.post(page(token, n), {f"item-{k}": v for k, v in answers.items()})
        assert response.status_code == 302
    assert response["Location"] == f"/s/{token}/review/"
    review = client.get(f"/s/{token}/review/").content.decode()
    assert "Revise sus respuestas" in review
    assert client.post(f"/s/{token}/review/")["Location"] == f"/s/{token}/done/"
    assert client.post(f"/s/{token}/review/")["Location"] == f"/s/{token}/done/"  # double submit: same result
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.scores.current().filter(instrument="gad7", scale="total").get().score == 7


def test_leaving_and_resuming_keeps_every_saved_answer(client, survey):
    assessment, token = survey
    client.post(page(token, 2), {"item-1": "2", "item-2": "3"})
    from django.test import Client

    other_device = Client()
    html = other_device.get(page(token, 2)).content.decode()
    assert 'name="item-1" value="2" checked' in html and 'name="item-2" value="3" checked' in html


def test_an_invalid_answer_is_refused_with_a_message_and_the_page_keeps_the_rest(client, survey):
    _, token = survey
    response = client.post(page(token, 2), {"item-1": "2", "item-2": "9"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "outside the GAD-7 item 2 coding" in html
    assert 'name="item-1" value="2" checked' in html
    assert not ItemResponse.objects.exists()


def test_a_risk_answer_shows_the_crisis_page_at_once_and_alerts_staff(client, survey):
    assessment, token = survey
    answers = {f"item-{k}": v for k, v in f.epds_answers(self_harm_keyed=2).items()}
    response = client.post(page(token, 1) + "?lang=es", answers)
    assert response.status_code == 302 and response["Location"].startswith(f"/s/{token}/support/")
    support = client.get(response["Location"]).content.decode()
    assert "No está sola" in support and "988" in support and "1-833-852-6262" in support
    assert Alert.objects.filter(assessment=assessment, rule="self_harm", severity="urgent").exists()


def test_the_support_page_only_continues_within_the_survey(client, survey):
    _, token = survey
    html = client.get(f"/s/{token}/support/?next=https://evil.example/").content.decode()
    assert "evil.example" not in html


def test_a_completed_survey_takes_no_more_answers(client, survey):
    assessment, token = survey
    capture.submit_assessment(assessment)
    assert client.post(page(token, 2), {"item-1": "3"})["Location"] == f"/s/{token}/done/"
    assert not ItemResponse.objects.exists()


def test_switching_language_on_a_question_page_keeps_what_she_ticked(client, survey):
    assessment, token = survey
    response = client.post(page(token, 2), {"item-1": "2", "lang": "es"})  # the switch submits the page
    assert response.status_code == 302 and response["Location"] == page(token, 2) + "?lang=es"
    html = client.get(response["Location"]).content.decode()
    assert 'lang="es"' in html and 'name="item-1" value="2" checked' in html
    assert capture.current_answers(assessment, assessment.instruments[1])["1"] == "2"


def test_pages_show_progress_and_the_review_is_one_summary_per_questionnaire(client, survey):
    assessment, token = survey
    html = client.get(page(token, 3)).content.decode()
    n = len(assessment.instruments)
    assert f'role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{round(100 * 2 / n)}"' in html
    client.post(page(token, 1), {f"item-{k}": v for k, v in f.epds_answers().items()})
    review = client.get(f"/s/{token}/review/").content.decode()
    assert review.count('<section class="card summary"') == n
    assert review.count('class="button secondary wide edit"') == n  # one large "Change" per questionnaire
    assert review.count("<details>") == n  # the answers themselves fold away


def test_an_unknown_link_still_answers_when_guesses_cannot_be_counted(client, db, settings, tmp_path, caplog):
    """A var folder the server cannot write costs the count, never the page."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the var folder should be")
    settings.VAR_DIR = blocked
    settings.CACHES = settings.CACHES | {"throttle": settings.CACHES["throttle"] | {"LOCATION": blocked / "throttle"}}
    with caplog.at_level("WARNING", logger="nurture.survey.throttle"):
        assert client.get("/s/not-a-real-token/").status_code == 404
    assert "cannot be counted" in caplog.text


def test_an_open_answer_too_long_comes_back_as_typed_and_a_nul_byte_is_dropped(client, survey):
    """A free-text answer longer than the database keeps is refused with the page as she
    typed it, never cut short nor lost to a database error (PostgreSQL also refuses NUL)."""
    assessment, token = survey
    assessment.instruments = [*assessment.instruments, "feedback"]  # the program feedback (post) page
    assessment.save(update_fields=["instruments"])
    number = len(assessment.instruments)
    ratings = {f"item-{k}": v for k, v in f.all_items("feedback", 3).items()}
    long = "Mi grupo me ayudó mucho. " * 100  # 2,500 characters
    html = client.get(page(token, number)).content.decode()
    assert f'maxlength="{capture.TEXT_ANSWER_LIMIT}"' in html  # a browser stops her at the limit
    response = client.post(page(token, number), ratings | {"item-open_helpful": long})
    assert response.status_code == 400
    body = response.content.decode()
    assert "under 2,000" in body and long.strip() in body  # her text is still on the page
    assert not ItemResponse.objects.filter(assessment=assessment, instrument="feedback").exists()

    response = client.post(page(token, number), ratings | {"item-open_helpful": "El grupo\x00 me ayudó."})
    assert response.status_code == 302
    assert capture.current_answers(assessment, "feedback")["open_helpful"] == "El grupo me ayudó."


def test_the_review_shows_each_answer_as_chosen_and_escapes_what_she_wrote(client, survey):
    assessment, token = survey
    Assessment.objects.filter(pk=assessment.pk).update(instruments=["epds", "feedback"])
    client.post(page(token, 1), {"item-1": "1"})  # item 2 and the rest left blank
    client.post(page(token, 2), {"item-open_helpful": '<b>The walks</b> & "the group"'})
    review = client.get(f"/s/{token}/review/").content.decode()
    first = re.search(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", review)
    assert first.group(2) == "Second option"  # the label of what she chose, not its code
    assert review.count("<dd>not answered</dd>") == 9 + 10  # epds 2–10; feedback's 8 ratings and 2 open
    assert "<dd>&lt;b&gt;The walks&lt;/b&gt; &amp; &quot;the group&quot;</dd>" in review
    assert "<b>The walks</b>" not in review
