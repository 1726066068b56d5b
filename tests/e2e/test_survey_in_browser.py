"""End to end in a real browser: Debian's chromium driven by Playwright, against
`nurture serve` on loopback with its own SQLite database and the demo study.

A mother completes the whole post-assessment on a phone-sized screen in Spanish. Her
answers are saved as she ticks them; EPDS item 10 with a risk response brings help under
the question at once and the crisis page after the page, with tap-to-call and tap-to-text
links in Spanish and English. The cohort's facilitator then sees the alert at the top of
her page and acknowledges it, and the server has sent the on-call messages by itself.
A mother who pauses longer than the server keeps her connection open loses nothing.
"""

import subprocess
import sys
import time

import pytest

from .helpers import free_dyad, log_in, open_survey_on_phone

pytestmark = pytest.mark.e2e


def risk_free_choice(page, question_index: int) -> None:
    page.locator("fieldset.question").nth(question_index).locator("label.option").first.click()


def tap_targets_ok(page, selector: str) -> list[str]:
    """The hrefs of the links matching ``selector``, each checked to be a finger-sized target."""
    links = page.locator(selector)
    hrefs = []
    links.first.wait_for(state="visible")
    for i in range(links.count()):
        links.nth(i).scroll_into_view_if_needed()
        box = links.nth(i).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, f"{links.nth(i).inner_text()} is too small"
        hrefs.append(links.nth(i).get_attribute("href"))
    return hrefs


def test_a_mother_completes_the_survey_on_a_phone_in_spanish_and_staff_acknowledge_the_alert(server, browser):
    # The demo's cohort 5 is in progress: dyad NC-0057 has not had a post-assessment yet.
    phone, page, link = open_survey_on_phone(server, browser, "NC-0057", locale="es-US")
    assert link.startswith(server["base"])
    with page.expect_navigation():
        page.get_by_role("link", name="Español").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Comenzar").click()
    assert page.locator("html").get_attribute("lang") == "es"
    pages = 0
    while "/review/" not in page.url:
        pages += 1
        assert page.locator(".pager").inner_text().startswith(f"Página {pages} de")
        questions = page.locator("fieldset.question")
        if pages == 2:
            # A ticked answer is saved at once: reloading the page (or closing it) loses nothing.
            questions.nth(0).locator("label.option").nth(2).click()
            page.get_by_text("Respuesta guardada.").wait_for()
            page.reload()
            assert page.locator("fieldset.question").nth(0).locator("input").nth(2).is_checked()
            questions = page.locator("fieldset.question")
        for i in range(questions.count()):
            options = questions.nth(i).locator("label.option")
            legend = questions.nth(i).locator("legend").inner_text()
            if pages == 1 and legend.startswith("10."):
                options.nth(1).click()  # EPDS item 10, second box: a risk answer (keyed 2)
                # Saved as she ticks it: the help appears under the question at once.
                panel = page.locator("#crisis-panel")
                panel.get_by_role("heading", name="No está sola").wait_for()
                assert "tel:988" in tap_targets_ok(page, "#crisis-panel a[href^='tel:']")
            elif pages == 2 and i == 0:
                continue  # answered above
            elif pages in (1, 6):  # EPDS and PBQ: the last box is the answer without risk
                options.nth(options.count() - 1).click()
            else:
                options.nth(0).click()
        for area in page.locator("textarea").all():
            area.fill("Conocer a otras madres")
        with page.expect_navigation():
            page.get_by_role("button", name="Guardar y continuar").or_(
                page.get_by_role("button", name="Revisar respuestas")).click()
        if pages == 1:
            assert "/support/" in page.url
            assert page.get_by_role("heading", name="No está sola").is_visible()
            spanish = tap_targets_ok(page, "main a[href^='tel:'], main a[href^='sms:']")
            assert spanish[:3] == ["tel:911", "tel:988", "sms:988?&body=AYUDA"] and "sms:+19712037773" in spanish
            with page.expect_navigation():
                page.get_by_role("link", name="English").click()
            assert page.get_by_role("heading", name="You are not alone").is_visible()
            assert page.get_by_role("link", name="Call 988").get_attribute("href") == "tel:988"
            with page.expect_navigation():
                page.get_by_role("link", name="Español").click()
            with page.expect_navigation():
                page.get_by_role("link", name="Continuar con las preguntas").click()
            assert page.url.endswith("/p/2/")  # the language switches kept where she was going
    assert pages == 8  # seven questionnaires and the program feedback
    with page.expect_navigation():
        page.get_by_role("button", name="Enviar mis respuestas").click()
    assert "/done/" in page.url and page.get_by_role("heading", name="Gracias").is_visible()
    assert "tel:988" in tap_targets_ok(page, "main a[href^='tel:']")
    phone.close()

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    log_in(page, server["base"], "facilitator")
    banner = page.get_by_role("alert", name="Open safety alerts")
    assert banner.is_visible()
    with page.expect_navigation():
        banner.get_by_role("link", name="Urgent · NC-0057 · EPDS").click()
    assert page.get_by_role("cell", name="oncall@example.org", exact=True).is_visible()
    page.get_by_label("Action taken").fill("Called her within the hour; safety plan agreed, midwife informed.")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").click()
    assert "NC-0057 acknowledged" in page.content()
    staff.close()
    import json

    for _ in range(50):  # the server's own loop sends the queued messages within seconds
        alerts = subprocess.run(server["nurture"] + ["alerts", "--format", "json"], env=server["env"],
                                capture_output=True, text=True, check=True).stdout
        [urgent] = [a for a in json.loads(alerts) if a["dyad"] == "NC-0057" and a["severity"] == "urgent"]
        if all(n["status"] == "sent" for n in urgent["notifications"]):
            break
        time.sleep(0.2)
    assert urgent["status"] == "acknowledged" and urgent["acknowledged"] is not None
    assert sorted((n["channel"], n["to"], n["status"]) for n in urgent["notifications"]) == [
        ("email", "oncall@example.org", "sent"), ("sms", "+15550100100", "sent")]


ANSWERS_SAVED = """
import sys
from nurture.cli.common import setup_django
setup_django()
from nurture.capture.models import ItemResponse
print(ItemResponse.objects.filter(assessment__dyad__code=sys.argv[1], assessment__timepoint="post",
                                  instrument="epds").count())
"""


def test_a_mother_who_pauses_longer_than_the_server_keeps_her_connection_loses_nothing(server, browser):
    # `nurture serve` closes a connection left idle for KEEPALIVE_SECONDS; the phone's next
    # request (the save of a ticked answer, then the page) must go through on a new one.
    from nurture.cli.serve import KEEPALIVE_SECONDS

    code = free_dyad(server, last=True)  # the accessibility test takes the first
    phone, page, _ = open_survey_on_phone(server, browser, code, locale="en-US")
    with page.expect_navigation():
        page.get_by_role("link", name="Start").click()
    pause = (KEEPALIVE_SECONDS + 1.5) * 1000
    page.wait_for_timeout(pause)  # reading the first question
    questions = page.locator("fieldset.question")
    questions.nth(0).locator("label.option").last.click()
    page.get_by_text("Answer saved.").wait_for()
    asked = questions.count()
    for i in range(1, asked):
        questions.nth(i).locator("label.option").last.click()  # the EPDS's last boxes carry no risk
    page.wait_for_timeout(pause)  # checking her answers before going on
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.url.endswith("/p/2/") and page.locator(".pager").inner_text().startswith("Page 2 of")
    saved = subprocess.run([sys.executable, "-c", ANSWERS_SAVED, code], env=server["env"], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert asked == 10 and saved == "10"  # every EPDS answer arrived
    phone.close()
