"""Steps the browser tests share."""


def log_in(page, base: str, username: str) -> None:
    """Sign in as one of the demo study's staff (every demo account has the demo password)."""
    page.goto(base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("nurture-demo")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
