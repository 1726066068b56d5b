"""What a mother sees after a risk answer: words that fit the rule, services grouped
honestly with tap-to-call and tap-to-text links, her language kept, and the crisis page
again whenever she saves a risk answer — also when her answer is saved as she ticks it."""

import re

import pytest
from django.core.cache import cache

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import ItemResponse, StudySettings
from nurture.safety.models import Alert, CrisisResource

from .. import factories as f


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()


@pytest.fixture
def survey(world):
    StudySettings.objects.create(study=world.study, battery={"pre": ["epds", "pbq", "gad7"]})
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    return assessment, token


def post_page(client, token, number, answers, **extra):
    return client.post(f"/s/{token}/p/{number}/", {f"item-{k}": v for k, v in answers.items()} | extra)


def hrefs(html):
    return re.findall(r'href="((?:tel|sms):[^"]+)"', html)


def test_a_self_harm_answer_leads_to_the_crisis_page_with_tap_to_call_links(client, survey):
    _, token = survey
    response = post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "You are not alone" in html and "harming yourself" in html
    assert hrefs(html) == ["tel:911", "tel:988", "sms:988", "tel:+18338526262", "sms:+18338526262",
                           "tel:+18009444773", "sms:+18009444773"]
    order = [html.index(name) for name in ("In danger right now", "Crisis line, any time",
                                           "Support for mothers, any time (not a crisis line)",
                                           "Support line (not a crisis line)")]
    assert order == sorted(order)
    assert 'href="/s/' in html and f"/s/{token}/p/2/" in html  # continue where she was going


def test_the_spanish_page_gives_each_services_spanish_options(client, survey):
    assessment, token = survey
    client.get(f"/s/{token}/?lang=es")
    response = post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    html = client.get(response["Location"]).content.decode()
    assert "No está sola" in html
    assert "marque 2" in html and "sms:988?&amp;body=AYUDA" in html
    assert "Enviar AYUDA por texto al 988" in html
    assert "sms:+19712037773" in html and "marque 1 para español" in html
    assert "no es una línea de crisis" in html


def test_a_risk_to_the_baby_answer_gets_words_about_the_baby_not_self_harm(client, survey):
    _, token = survey
    response = post_page(client, token, 2, f.keyed_answers("pbq", {"24": 3}))
    html = client.get(response["Location"]).content.decode()
    assert "Help is here for you and your baby" in html and "somewhere safe" in html
    assert "harming yourself" not in html


def test_saving_the_risk_page_twice_shows_the_crisis_page_twice(client, survey):
    _, token = survey
    answers = f.keyed_answers("epds", {"10": 1})
    first = post_page(client, token, 1, answers)
    second = post_page(client, token, 1, answers)
    assert "/support/" in first["Location"] and "/support/" in second["Location"]
    assert Alert.objects.count() == 1


def test_the_language_switch_keeps_the_next_page(client, survey):
    _, token = survey
    response = post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    html = client.get(response["Location"]).content.decode()
    switch = re.search(r'class="lang" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    spanish = client.get(switch).content.decode()
    assert "No está sola" in spanish and f'href="/s/{token}/p/2/"' in spanish


def test_the_crisis_page_refuses_to_send_her_off_the_survey(client, survey):
    _, token = survey
    html = client.get(f"/s/{token}/support/?next=//evil.example/").content.decode()
    assert "evil.example" not in html and f"/s/{token}/review/" in html


def test_a_site_can_set_its_own_resources_per_language(client, world, survey):
    _, token = survey
    CrisisResource.objects.create(site=world.site_a, language="en", group="crisis", name="County crisis team",
                                  phone="555-0142", note="Mobile team, any time")
    response = post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    html = client.get(response["Location"]).content.decode()
    assert "County crisis team" in html and hrefs(html) == ["tel:911", "tel:5550142"]
    # the answer-as-chosen panel and the thank-you page load the same site's list
    body = answer(client, token, 1, "10", f.keyed_answers("epds", {"10": 3})["10"]).json()
    assert "County crisis team" in body["crisis_html"]
    client.post(f"/s/{token}/review/")
    assert "County crisis team" in client.get(f"/s/{token}/done/").content.decode()


def test_the_done_page_repeats_the_resources_after_a_risk_answer(client, survey):
    assessment, token = survey
    post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    client.post(f"/s/{token}/review/")
    html = client.get(f"/s/{token}/done/").content.decode()
    assert "You are not alone" in html and "tel:988" in html


def test_the_done_page_after_a_high_score_offers_support_without_crisis_words(client, survey):
    _, token = survey
    post_page(client, token, 3, f.keyed_answers("gad7", default=3))
    client.post(f"/s/{token}/review/")
    html = client.get(f"/s/{token}/done/").content.decode()
    assert "We are here for you" in html and "harming yourself" not in html


def test_the_done_page_without_any_flag_shows_no_resources(client, survey):
    _, token = survey
    post_page(client, token, 1, f.keyed_answers("epds"))
    client.post(f"/s/{token}/review/")
    assert "tel:" not in client.get(f"/s/{token}/done/").content.decode()


# --------------------------------------------------------------------------- save on selection


def answer(client, token, number, item, value):
    return client.post(f"/s/{token}/p/{number}/answer/", {"item": f"item-{item}", "value": value})


def test_an_answer_is_saved_as_it_is_chosen(client, survey):
    assessment, token = survey
    response = answer(client, token, 1, "3", "2")
    assert response.status_code == 200 and response.json() == {"saved": True}
    assert ItemResponse.objects.get(assessment=assessment).value == "2"
    assert answer(client, token, 1, "3", "1").json() == {"saved": True}
    assert ItemResponse.objects.get(assessment=assessment).value == "1"


def test_a_risk_answer_saved_as_it_is_chosen_raises_its_alert_and_points_to_the_crisis_page(client, survey):
    _, token = survey
    response = answer(client, token, 1, "10", f.keyed_answers("epds", {"10": 3})["10"])
    body = response.json()
    assert body["crisis_url"] == f"/s/{token}/support/?next=%2Fs%2F{token}%2Fp%2F1%2F&page=1"
    assert "You are not alone" in body["crisis_html"] and 'href="tel:988"' in body["crisis_html"]
    assert Alert.objects.get().rule == "self_harm"
    # Saving the page afterwards shows the full crisis page, as always for a risk answer.
    page = client.post(f"/s/{token}/p/1/", {"item-10": f.keyed_answers("epds", {"10": 3})["10"]})
    assert "/support/" in page["Location"]


@pytest.mark.parametrize("item, value", [("99", "1"), ("3", "7"), ("", "1")])
def test_a_bad_single_answer_is_refused_and_nothing_is_saved(client, survey, item, value):
    _, token = survey
    response = answer(client, token, 1, item, value)
    assert response.status_code == 400 and response.json()["saved"] is False
    assert not ItemResponse.objects.exists()


def test_saving_one_answer_needs_a_valid_link(client, world, survey):
    assessment, token = survey
    capture.revoke_links(world.coordinator, assessment)
    assert answer(client, token, 1, "3", "1").status_code == 410
    assert not ItemResponse.objects.exists()


def test_a_site_list_never_drops_the_emergency_number_and_the_crisis_line(client, world, survey):
    _, token = survey
    CrisisResource.objects.create(site=world.site_a, language="en", group="support", name="Riverside clinic",
                                  phone="(555) 010-0123")
    response = post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    html = client.get(response["Location"]).content.decode()
    assert hrefs(html) == ["tel:911", "tel:988", "sms:988", "tel:+15550100123"]


def test_after_a_self_harm_alert_the_baby_page_still_gets_words_about_the_baby(client, survey):
    _, token = survey
    post_page(client, token, 1, f.keyed_answers("epds", {"10": 2}))
    response = post_page(client, token, 2, f.keyed_answers("pbq", {"24": 3}))
    html = client.get(response["Location"]).content.decode()
    assert "Help is here for you and your baby" in html and "somewhere safe" in html


def test_after_a_high_score_alone_the_support_lines_lead(client, survey):
    _, token = survey
    post_page(client, token, 3, f.keyed_answers("gad7", default=3))
    client.post(f"/s/{token}/review/")
    html = client.get(f"/s/{token}/done/").content.decode()
    assert hrefs(html)[:2] == ["tel:+18338526262", "sms:+18338526262"] and "tel:911" in html


@pytest.mark.parametrize("typed", ["1.0", "+1", "1e0", " 1 "])
def test_an_answer_is_stored_as_its_plain_code(client, survey, typed):
    assessment, token = survey
    assert answer(client, token, 1, "3", typed).json() == {"saved": True}
    assert ItemResponse.objects.get(assessment=assessment).value == "1"
