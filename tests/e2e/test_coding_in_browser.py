"""End to end in a real browser: a coder codes three blinded recordings and two open
answers of the demo study; the coordinator settles the disagreement waiting for
consensus and sees the reliability between coders."""

import re

import pytest

from .helpers import log_in

pytestmark = pytest.mark.e2e

REVEALING = re.compile(r"NC-\d|\bPre\b|\bPost\b|Cohort \d|videos|secure drive")


def rate_every_item(page, skip: str | None = None):
    for group in page.locator("fieldset.rating").all():
        if skip and group.locator("legend").inner_text() == skip:
            continue
        group.locator("label.option").nth(3).click()  # "4 · Most of the time"


def test_a_coder_codes_blinded_recordings_and_answers_and_the_coordinator_sees_reliability(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server["base"], "coder")
    assert page.url.endswith("/coding/")
    assert page.get_by_role("heading", name="To code (5)").is_visible()
    assert not REVEALING.search(page.locator("main").inner_text())

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^Code R-")).first.click()
    # A rating with an item left out is refused, and what was chosen is kept.
    rate_every_item(page, skip="Reciprocity")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit ratings").click()
    assert page.get_by_role("alert").inner_text() == "Rate every item: Reciprocity is not rated."
    assert page.locator("fieldset.rating").first.locator("input").nth(3).is_checked()

    recordings = answers = 0
    while "/coding/a/" in page.url:
        main = page.locator("main").inner_text()
        assert not REVEALING.search(main)
        if "Submit ratings" in main:
            assert re.search(r"Recording · Free play · \d+:\d\d", main)
            rate_every_item(page)
            button = "Submit ratings"
            recordings += 1
        else:
            assert "Open answer · " in main
            page.get_by_label("Not alone").check()
            button = "Submit codes"
            answers += 1
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
    assert (recordings, answers) == (3, 2)
    assert page.get_by_role("heading", name="To code (0)").is_visible()
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server["base"], "coordinator")
    with page.expect_navigation():
        page.get_by_role("link", name="Coding", exact=True).click()
    with page.expect_navigation():
        page.locator(".card", has_text="Waiting for consensus").get_by_role("link").first.click()
    differing = page.locator("tr.differs")
    assert differing.count() >= 1
    for group in page.locator("form fieldset.rating").all():
        if not group.locator("input:checked").count():
            group.locator("label.option").nth(2).click()
    page.get_by_label("Note (optional)").fill("Watched minute 2 together.")
    with page.expect_navigation():
        page.get_by_role("button", name="Record consensus").click()
    assert "Consensus recorded" in page.content()
    page.goto(server["base"] + "/coding/reliability/")
    per_scale = page.get_by_role("table", name="Reliability per scale")
    assert per_scale.get_by_role("row").count() == 5  # header and four scales
    assert re.search(r"Maternal sensitivity\s+\d+\s+-?\d\.\d\d \(ICC2\)", per_scale.inner_text())
    assert page.get_by_role("table", name="Coder drift").is_visible()
    assert page.get_by_role("table", name="Agreement per code").get_by_role("row").count() > 3
    context.close()
