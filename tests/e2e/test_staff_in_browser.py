"""Staff's main jobs end to end in a real browser: a coordinator takes a referral to
enrollment and a paper questionnaire to a submitted, scored assessment; a facilitator
marks a week's attendance on a phone with "All present"; a researcher reads the
evaluation at a glance."""

import datetime as dt
import re

import pytest

from .helpers import log_in

pytestmark = pytest.mark.e2e


def submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_a_coordinator_enrolls_a_referral_and_completes_her_paper_questionnaire(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server["base"], "coordinator")
    page.goto(server["base"] + "/participants/new/")
    page.get_by_label("Mother's first name").fill("Paloma")
    page.get_by_label("Mother's last name").fill("Papelera")
    page.get_by_label("Referred on").fill(dt.date.today().isoformat())
    submit(page, "Register referral")
    code = re.search(r"Referral registered as (NC-\d+)", page.content()).group(1)

    with page.expect_navigation():
        page.get_by_role("link", name="Screen").click()
    for group in page.locator("main input[value='yes']").all():
        group.check()
    submit(page, "Save screening")
    assert f"{code} is eligible." in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="Record consent").click()
    submit(page, "Record consent")
    with page.expect_navigation():
        page.get_by_role("link", name="Enroll in a cohort").click()
    page.get_by_label("Cohort").select_option(index=1)
    submit(page, "Enroll")
    assert f"{code} enrolled in" in page.content()

    page.get_by_label("Schedule").select_option("pre")
    submit(page, "Schedule assessment")
    with page.expect_navigation():
        page.get_by_role("link", name="Start entering the paper form").click()
    entered = 0
    while True:
        entered += 1
        risk_free_last = page.locator("h1").inner_text().startswith(("EPDS", "PBQ"))
        for select in page.locator("main select").all():
            values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v not in
                      ("", "na")]
            select.select_option(values[-1] if risk_free_last else values[0])
        for area in page.locator("main textarea").all():
            area.fill("The other mothers")
        following = page.get_by_role("button", name=re.compile(r"^Save and enter "))
        if following.count():
            with page.expect_navigation():
                following.click()
            continue
        submit(page, "Save and go back to the assessment")
        break
    assert entered >= 3
    assert f"{entered} of {entered} questionnaires entered" in page.content()
    assert not page.locator("li.safety").count()  # nothing risky was entered
    submit(page, "Submit: compute scores and run the safety rules")
    assert "submitted: scores computed and safety rules run" in page.content()
    assert page.locator("h1 .badge").inner_text() == "Completed"
    assert page.locator("table").last.locator("tbody tr").count() >= entered  # a score per scale
    context.close()


def test_a_facilitator_marks_the_week_on_a_phone_with_all_present(server, browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, server["base"], "facilitator")
    with page.expect_navigation():
        page.locator("main a[href*='/week/']").first.click()
    group = page.locator("section.group").first
    group.get_by_role("button", name="All present").click()  # the script ticks the boxes, no reload
    radios = group.locator("li[data-active] input[value='present']")
    assert radios.count() >= 1 and all(r.is_checked() for r in radios.all())
    group.locator("li[data-active]").first.locator("input[value='excused']").check()  # one exception
    submit(page, re.compile(r"^Save week \d+"))
    assert "Saved week" in page.content()
    marked = page.locator("section.group").first.locator("li[data-active]")
    assert marked.first.locator("input[value='excused']").is_checked()
    assert all(li.locator("input[value='present']").is_checked() for li in marked.all()[1:])
    phone.close()


def test_a_researcher_reads_the_evaluation_at_a_glance(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server["base"], "researcher")
    page.goto(server["base"] + "/evaluation/")
    glance = page.locator(".glance")
    assert glance.get_by_role("heading", name="Retention among dyads due").is_visible()
    assert re.search(r"\d+%", glance.inner_text())
    assert glance.get_by_role("img").count() == 2
    assert page.get_by_role("link", name="Open the report").is_visible()
    context.close()
