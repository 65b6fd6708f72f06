"""The browser tests' own setup, checked without a browser."""

import pytest


@pytest.mark.filterwarnings("error::pytest.PytestRemovedIn10Warning")
def test_base_url_fixture_is_not_a_deprecated_plugin_method(base_url):
    """pytest-playwright's fallback `base_url` is a session fixture defined as an instance
    method, which pytest 9 deprecates; tests/conftest.py shadows it with a plain function.
    Without that override this test errors in its setup (the warning becomes an error).
    """
    assert base_url is None
