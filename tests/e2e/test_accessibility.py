"""Accessibility in a real browser: axe-core (``axe.min.js`` as bundled in the
``axe-playwright-python`` wheel, a test dependency) finds no serious or critical violation on the
survey and the main staff pages, and a mother completes the survey with the keyboard
alone — switching language mid-page without losing what she ticked."""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from .helpers import free_dyad, log_in, open_survey_on_phone

pytestmark = pytest.mark.e2e

AXE = Path(importlib.util.find_spec("axe_playwright_python").origin).parent / "axe.min.js"
SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page as shown, one line each.

    axe is injected as a script tag, which the pages' Content-Security-Policy forbids (as it
    should): the contexts that run it are opened with ``bypass_csp``.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else json.dumps(n["target"])
                        for n in v["nodes"][:3])
            for v in result["violations"] if v["impact"] in SERIOUS]


def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
      const group = e.type === 'radio' ? document.querySelector(`input[name="${e.name}"]:checked`) : null;
      return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
              text: (e.innerText || '').trim(), answered: !!group}; }""")


def tab_to(page, wanted, limit=400) -> dict:
    """Press Tab until the focused element matches ``wanted`` (a predicate); fail if never."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError("never reached by Tab")


def answer_page_by_keyboard(page, last_option: bool) -> None:
    """Tab through the page: choose an answer in every unanswered question (Space takes the
    first option; ArrowUp wraps to the last), write in every empty text box, then press
    Enter on the button that goes on."""
    for _ in range(600):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["type"] == "radio" and not element["answered"]:
            page.keyboard.press("ArrowUp" if last_option else "Space")
        elif element["tag"] == "TEXTAREA" and not page.evaluate("() => document.activeElement.value"):
            page.keyboard.type("Meeting other mothers")
        elif element["tag"] == "BUTTON" and element["name"] == "next":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("the page's button was never reached by Tab")


def test_the_survey_is_accessible_and_can_be_completed_with_the_keyboard_alone(server, browser):
    code = free_dyad(server)
    assert re.fullmatch(r"NC-\d{4}", code)
    phone, page, _ = open_survey_on_phone(server, browser, code, bypass_csp=True)
    problems = serious_violations(page)
    tab_to(page, lambda e: e["tag"] == "A" and "/p/1/" in page.evaluate("() => document.activeElement.href"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    problems += serious_violations(page)

    # Mid-page, with the keyboard: tick the first question, switch language, still ticked.
    other = "en" if page.locator("html").get_attribute("lang") == "es" else "es"
    tab_to(page, lambda e: e["type"] == "radio")
    page.keyboard.press("ArrowUp")
    first = page.locator("fieldset.question").first.locator("input")
    ticked = first.count() - 1
    assert first.nth(ticked).is_checked()
    page.keyboard.press("Shift+Tab")  # back up to the language switch in the header
    switch = tab_to(page, lambda e: e["tag"] == "BUTTON" and e["value"] == other)
    assert switch["name"] == "lang"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == other
    assert page.locator("fieldset.question").first.locator("input").nth(ticked).is_checked()
    problems += serious_violations(page)

    pages = 0
    while "/review/" not in page.url:
        pages += 1
        # EPDS (page 1) and PBQ (page 6): the last box is the answer without risk.
        answer_page_by_keyboard(page, last_option=pages in (1, 6))
        assert "/support/" not in page.url
    assert pages == 8
    problems += serious_violations(page)
    tab_to(page, lambda e: e["tag"] == "BUTTON" and e["text"] in ("Enviar mis respuestas", "Send my answers"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/done/" in page.url
    problems += serious_violations(page)
    phone.close()
    assert problems == [], "\n".join(problems)


def test_the_main_staff_pages_have_no_serious_accessibility_violations(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(server["base"] + "/login/")
    problems = serious_violations(page)
    log_in(page, server["base"], "coordinator")
    for path in ("/", "/participants/", "/participants/?q=NC-005", "/cohorts/", "/alerts/", "/evaluation/",
                 "/participants/new/", "/no-such-page/"):
        page.goto(server["base"] + path)
        problems += serious_violations(page)
    # A dyad's page, one of its assessments and its cohort, reached as a user would.
    page.goto(server["base"] + "/participants/?q=NC-0001")
    with page.expect_navigation():
        page.get_by_role("link", name="NC-0001").click()
    problems += serious_violations(page)
    with page.expect_navigation():
        page.locator("main a[href^='/assessments/']").first.click()
    problems += serious_violations(page)
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                bypass_csp=True)
    page = phone.new_page()
    log_in(page, server["base"], "facilitator")
    with page.expect_navigation():
        page.locator("main a[href*='/week/']").first.click()
    problems += serious_violations(page)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the week page scrolls sideways by {overflow}px at 390px"
    phone.close()
    assert problems == [], "\n".join(problems)
