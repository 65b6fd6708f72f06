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


def ensure_upload_script() -> None:
    """The upload script a page loads is built by `make install` (npm run build); built here
    when it is missing or older than its sources, so a test file can run on its own."""
    import subprocess
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    bundle = root / "static" / "build" / "evidence-upload.js"
    sources = list((root / "assets" / "js").glob("*.js"))
    if bundle.exists() and all(s.stat().st_mtime <= bundle.stat().st_mtime for s in sources):
        return
    assert (root / "node_modules" / ".bin" / "esbuild").exists(), "run `make install` first"
    subprocess.run(["npm", "run", "--silent", "build"], cwd=root, check=True, timeout=120)
