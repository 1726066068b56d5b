"""Steps the browser tests share."""


def log_in(page, base: str, username: str) -> None:
    """Sign in as one of the demo study's staff (every demo account has the demo password)."""
    page.goto(base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("nurture-demo")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


FREE_DYAD = """
import sys
from nurture.cli.common import setup_django
setup_django()
from nurture.participants.models import Dyad
other = Dyad.objects.get(code="NC-0057")
print(Dyad.objects.filter(cohort=other.cohort, status="enrolled").exclude(pk=other.pk)
      .exclude(assessments__timepoint="post").order_by(sys.argv[1]).values_list("code", flat=True).first())
"""


def free_dyad(server, *, last: bool = False) -> str:
    """An enrolled dyad of the demo's cohort in progress (NC-0057's) without a post-assessment
    yet, other than NC-0057: the first by study id, or the last (tests that must not meet)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", FREE_DYAD, "-code" if last else "code"], env=server["env"],
                          capture_output=True, text=True, check=True).stdout.strip()


def open_survey_on_phone(server, browser, code: str, **context):
    """A post-assessment link for ``code`` (``nurture survey-link``) opened in a phone-sized
    browser context; returns (context, page, link)."""
    import subprocess

    link = subprocess.run(server["nurture"] + ["survey-link", code, "post"], env=server["env"],
                          capture_output=True, text=True, check=True).stdout.strip()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, **context)
    page = phone.new_page()
    page.goto(link)
    return phone, page, link
