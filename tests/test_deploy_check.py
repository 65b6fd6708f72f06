"""docs/deploy.md works as written: `make deploy-check` (scripts/deploy_check.py), in the suite.

It needs nginx and PostgreSQL (scripts/system-deps.sh test, run by `make test`) and takes
about a minute and a half, most of it collectstatic. It uses a database of its own on the
suite's cluster and its own loopback ports, so it runs next to the other tests.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres


def test_the_deployment_guide_serves_the_product_as_written():
    root = Path(settings.BASE_DIR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    result = subprocess.run(
        ["bash", str(root / "scripts" / "deploy-check.sh")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "deploy check passed" in output
    # Each part ran, not only the last line: the headers on all three kinds of response, the
    # evidence sent by nginx, and every scheduled job of the cron table.
    for step in (
        "the same read by systemd and sh",
        "a page through nginx",
        "a static file through nginx",
        "evidence through X-Accel-Redirect",
        "cron: kla-manage backup",
        "cron: kla-manage tus_cleanup",
    ):
        assert step in output, step
