"""docs/deploy.md works as written: `make deploy-check` (scripts/deploy_check.py), in the suite.

It needs nginx and PostgreSQL (scripts/system-deps.sh test, run by `make test`) and takes
under a minute on an idle machine, half of it collectstatic. It uses a database of its own on the
suite's cluster and its own loopback ports, so it runs next to the other tests.
"""

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _check_module():
    spec = importlib.util.spec_from_file_location(
        "deploy_check", ROOT / "scripts" / "deploy_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_systemd_and_sh_read_single_quotes_alike_and_the_old_form_apart(tmp_path):
    check = _check_module()
    quoted = "A='Kabupaten Tanjung Jabung Barat'\n# a comment\nB='x $HOME `y` #1 \\'\nC=plain\n"
    path = tmp_path / "quoted.env"
    path.write_text(quoted)
    expected = {"A": "Kabupaten Tanjung Jabung Barat", "B": "x $HOME `y` #1 \\", "C": "plain"}
    assert check.systemd_environment_file(quoted) == expected
    assert check.sh_environment_file(path) == expected
    # The guide's old line: systemd takes the whole name, sh runs "Tanjung" as a command.
    old = "KLA_DISTRICT_NAME=Kabupaten Tanjung Jabung Barat\n"
    assert check.systemd_environment_file(old) == {
        "KLA_DISTRICT_NAME": "Kabupaten Tanjung Jabung Barat"
    }
    path.write_text(old)
    with pytest.raises(check.CheckFailed, match="Tanjung"):
        check.sh_environment_file(path)
    # Double quotes are not equivalent: sh expands $ inside them, systemd does not.
    assert check.systemd_environment_file('D="a$HOME"\n') == {"D": "a$HOME"}


def test_the_guide_has_each_block_the_check_takes():
    check = _check_module()
    blocks = check.fenced_blocks((ROOT / "docs" / "deploy.md").read_text(encoding="utf-8"))
    nginx = check.one_block(blocks, "nginx", lambda b: "server {" in b, "nginx")
    # nginx 1.22 (Debian 12) has no http2 directive (1.25.1); a comment may name it.
    assert not re.search(r"^\s*http2\s+on;", nginx, flags=re.M)
    assert "listen 443 ssl http2;" in nginx
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx
    env = check.one_block(blocks, "sh", lambda b: b.startswith("DEBUG=0\n"), "env")
    assert "KLA_TRUSTED_PROXIES=127.0.0.1\n" in env
    assert "KLA_BASE_URL=https://" in env


@pytest.mark.postgres
def test_the_deployment_guide_serves_the_product_as_written():
    root = ROOT
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
