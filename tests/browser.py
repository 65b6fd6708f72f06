"""What every browser journey does first: log in through the login page, as a person would."""

from tests import factories


def login(page, base: str, username: str, password: str = factories.PASSWORD) -> None:
    """Log in as `username`, after forgetting any earlier session of the page's browser."""
    page.context.clear_cookies()
    page.goto(f"{base}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button.btn-primary").click()
    page.wait_for_load_state()
