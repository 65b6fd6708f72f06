#!/usr/bin/env python
"""make deploy-check: docs/deploy.md, as written, serves the product on this machine.

Everything the operator would copy is taken from the guide's fenced blocks, so the guide and
this check cannot drift apart: the environment file, the `kla-manage` wrapper, the nginx
server blocks, the gunicorn command of the systemd service, the backup service and the cron
table. Only what must differ on a test machine is substituted, each substitution asserted to
have happened exactly once (a changed guide fails here, loudly): paths (a temporary
directory), ports (free loopback ports), the secret key, passwords and the database, the mail
server's host and port (a local sink speaking STARTTLS), the certificate (self-signed for the
guide's host name), the service user (the current one: nothing here creates users). The host
name itself stays: requests go to 127.0.0.1 with the guide's name in TLS and in Host.

Then, failing on the first problem:
  1. the environment file gives the same values read by systemd's EnvironmentFile= rules (as
     src/basic/env-file.c parses them) and by `sh` (`set -a; . file`, the wrapper and cron);
  2. through the wrapper: migrate, collectstatic, compilemessages, check --deploy, the demo;
  3. gunicorn with the service's flags and the systemd reading of the file; nginx with the
     guide's server blocks (`nginx -t` first);
  4. through nginx over TLS: a page, a static file, an evidence download and a preview, each
     with the security headers (CSP, nosniff, X-Frame-Options, HSTS) and the evidence as
     nginx sent it (X-Accel-Redirect); the HTTP server block redirects; X-Real-IP sent by a
     client is overwritten;
  5. every cron line once, in cron's own environment, and the backup service's commands with
     the systemd environment: each must exit 0.

Stops what it started (gunicorn, nginx, the mail sink), drops its database, removes its
directory. The PostgreSQL cluster is scripts/deploy-check.sh's business. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deploy.md"
HOST = "kla.tanjabbarkab.go.id"  # the guide's; kept, not substituted
DEMO_PASSWORD = "kla-demo-2027"  # noqa: S105 - the demo's documented password (README)
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Strict-Transport-Security",
)
# cron runs a job with this environment, plus the table's own variable lines (Debian's cron).
CRON_PATH = "/usr/bin:/bin"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(message: str) -> None:
    print(f"[deploy-check] {message}", flush=True)


class CheckFailed(Exception):
    pass


def require(condition, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


# --- The guide ---------------------------------------------------------------------------------


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, in order."""
    return [
        (m.group(1), m.group(2))
        for m in re.finditer(r"^```(\w*)\n(.*?)^```\s*$", text, flags=re.M | re.S)
    ]


def one_block(blocks, lang: str, predicate, what: str) -> str:
    found = [body for block_lang, body in blocks if block_lang == lang and predicate(body)]
    require(len(found) == 1, f"docs/deploy.md: expected one {what} block, found {len(found)}")
    return found[0]


def substitute(text: str, old: str, new: str, what: str, count: int = 1) -> str:
    """Replace `old`, asserting how often it occurs: the guide must still say what we expect."""
    seen = text.count(old)
    require(seen == count, f"docs/deploy.md {what}: {old!r} occurs {seen} times, not {count}")
    return text.replace(old, new)


def set_value(env_text: str, name: str, value: str) -> str:
    """The env file's line for `name` with a new value, single-quoted as the guide says."""
    pattern = re.compile(rf"^{re.escape(name)}=.*$", flags=re.M)
    require(len(pattern.findall(env_text)) == 1, f"the environment file has no one {name}= line")
    require("'" not in value, f"{name}: a value for single quotes cannot hold one")
    return pattern.sub(lambda _m: f"{name}='{value}'", env_text)


def service_command(unit: str, key: str) -> str:
    """An ExecStart=-style line of a unit, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", unit)
    found = re.findall(rf"^{key}=(.*)$", joined, flags=re.M)
    require(len(found) == 1, f"unit has no one {key}= line")
    return found[0].strip()


# --- Reading the environment file as systemd and as sh do --------------------------------------


def systemd_environment_file(text: str) -> dict[str, str]:
    """The assignments systemd's EnvironmentFile= takes from `text`.

    The state machine of systemd's parse_env_file_internal (src/basic/env-file.c), written out
    in Python: comments are lines starting with # or ;, keys and unquoted values are trimmed,
    single quotes are literal, double quotes unescape only \\" \\\\ \\` \\$, a backslash outside
    quotes escapes the next character, an escaped newline continues the line; no `$` expansion.
    """
    out: dict[str, str] = {}
    state, key, value = "pre_key", [], None
    key_ws = value_ws = None

    def push():
        k = "".join(key if key_ws is None else key[:key_ws])
        v = "" if value is None else "".join(value)
        out[k] = v

    for c in text:
        if state == "pre_key":
            if c in "#;":
                state = "comment"
            elif c not in " \t\n\r":
                state, key, key_ws = "key", [c], None
        elif state == "key":
            if c in "\n\r":
                state, key = "pre_key", []
            elif c == "=":
                state, value_ws = "pre_value", None
            else:
                if c not in " \t\n\r":
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "pre_value":
            if c in "\n\r":
                push()
                state, key, value = "pre_key", [], None
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c == "\\":
                state = "value_escape"
            elif c not in " \t\n\r":
                state = "value"
                value = (value or []) + [c]
        elif state == "value":
            if c in "\n\r":
                if value_ws is not None:
                    value = value[:value_ws]
                push()
                state, key, value = "pre_key", [], None
            elif c == "\\":
                state, value_ws = "value_escape", None
            else:
                if c not in " \t\n\r":
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value or [])
                value = (value or []) + [c]
        elif state == "value_escape":
            state = "value"
            if c not in "\n\r":
                value = (value or []) + [c]
        elif state == "single":
            if c == "'":
                state = "pre_value"
            else:
                value = (value or []) + [c]
        elif state == "double":
            if c == '"':
                state = "pre_value"
            elif c == "\\":
                state = "double_escape"
            else:
                value = (value or []) + [c]
        elif state == "double_escape":
            state = "double"
            if c in '"\\`$':
                value = (value or []) + [c]
            elif c != "\n":
                value = (value or []) + ["\\", c]
        elif state == "comment":
            if c == "\\":
                state = "comment_escape"
            elif c in "\n\r":
                state = "pre_key"
        elif state == "comment_escape":
            state = "pre_key" if c in "\n\r" else "comment"
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        if state == "value" and value_ws is not None:
            value = value[:value_ws]
        push()
    return out


def sh_environment_file(path: Path) -> dict[str, str]:
    """What `set -a; . file; set +a` (the wrapper's first line) exports, read by sh itself."""
    dump = "import json, os; print(json.dumps(dict(os.environ)))"
    result = subprocess.run(
        [
            "/bin/sh",
            "-c",
            f'set -a; . "$1"; set +a; exec {sys.executable} -c "{dump}"',
            "sh",
            str(path),
        ],
        env={"PATH": CRON_PATH},
        capture_output=True,
        text=True,
        check=False,
    )
    require(
        result.returncode == 0 and not result.stderr.strip(),
        f"sh cannot read the environment file:\n{result.stderr}",
    )
    values = json.loads(result.stdout)
    for name in ("PATH", "PWD", "SHLVL", "_", "LC_CTYPE"):
        values.pop(name, None)
    return values


# --- The mail server the jobs talk to ----------------------------------------------------------


class MailSink(socketserver.ThreadingTCPServer):
    """Enough SMTP for Django's backend with EMAIL_USE_TLS: EHLO, STARTTLS, AUTH, one or more
    messages, QUIT. Counts what it received."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, cert: Path, key: Path):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.messages: list[bytes] = []
        super().__init__(("127.0.0.1", port), MailHandler)


class MailHandler(socketserver.StreamRequestHandler):
    def handle(self):
        sock = self.request
        reader = sock.makefile("rb")

        def say(line: str):
            sock.sendall(line.encode() + b"\r\n")

        say("220 sink ESMTP")
        tls = False
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                features = ["AUTH PLAIN LOGIN"] if tls else ["STARTTLS"]
                for feature in ["250-sink", *[f"250-{f}" for f in features[:-1]]]:
                    say(feature)
                say(f"250 {features[-1]}")
            elif verb == "STARTTLS" and not tls:
                say("220 go ahead")
                sock = self.server.context.wrap_socket(sock, server_side=True)
                reader = sock.makefile("rb")
                tls = True
            elif verb == "AUTH":
                say("235 ok")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 ok")
            elif verb == "DATA":
                say("354 end with .")
                body = []
                while (chunk := reader.readline()) not in (b".\r\n", b".\n", b""):
                    body.append(chunk)
                self.server.messages.append(b"".join(body))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not here")


# --- HTTP through nginx ---------------------------------------------------------------------


class Client:
    """HTTPS to 127.0.0.1 as the guide's host (SNI, certificate check, Host), with cookies."""

    def __init__(self, port: int, cafile: Path):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        conn = http.client.HTTPSConnection(HOST, self.port, context=self.context, timeout=60)
        conn.sock = self.context.wrap_socket(
            socket.create_connection(("127.0.0.1", self.port), timeout=60), server_hostname=HOST
        )
        sent = {"Host": HOST, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response, data


def check_security_headers(what: str, response, *, frame: str = "DENY") -> None:
    for name in SECURITY_HEADERS:
        values = response.headers.get_all(name) or []
        require(len(values) == 1, f"{what}: {name} sent {len(values)} times: {values}")
    require(response.headers["X-Content-Type-Options"] == "nosniff", f"{what}: nosniff")
    require(response.headers["X-Frame-Options"] == frame, f"{what}: X-Frame-Options {frame}")
    require("max-age=31536000" in response.headers["Strict-Transport-Security"], f"{what}: HSTS")
    require("default-src" in response.headers["Content-Security-Policy"], f"{what}: CSP")


# --- The run -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def run(cmd, *, env, what: str, cwd=ROOT, timeout=600) -> str:
    started = time.monotonic()
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    took = time.monotonic() - started
    require(
        result.returncode == 0,
        f"{what} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
    )
    log(f"ok   {what} ({took:.1f} s)")
    return result.stdout


def wait_for(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise CheckFailed(f"nothing answered 200 on 127.0.0.1:{port}{path}")


def main() -> int:
    started = time.monotonic()
    database_url = os.environ.get("KLA_DEPLOY_CHECK_DATABASE_URL", "")
    require(database_url.startswith("postgres://"), "KLA_DEPLOY_CHECK_DATABASE_URL is not set")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    require(Path(nginx).exists(), "nginx is not installed (scripts/system-deps.sh test)")
    require(
        (ROOT / "static" / "build" / "evidence-upload.js").exists(),
        "static/build/evidence-upload.js is missing: make install",
    )

    blocks = fenced_blocks(GUIDE.read_text(encoding="utf-8"))
    env_block = one_block(blocks, "sh", lambda b: b.startswith("DEBUG=0\n"), "environment file")
    wrapper = one_block(blocks, "sh", lambda b: b.startswith("#!/bin/sh"), "kla-manage wrapper")
    nginx_block = one_block(blocks, "nginx", lambda b: "server {" in b, "nginx")
    service = one_block(blocks, "ini", lambda b: "bin/gunicorn" in b, "kla.service")
    backup_unit = one_block(blocks, "ini", lambda b: "manage.py backup" in b, "kla-backup.service")
    cron = one_block(blocks, "cron", lambda b: "kla-manage" in b, "cron table")

    work = Path(tempfile.mkdtemp(prefix="kla-deploy-check-"))
    user = pwd.getpwuid(os.getuid()).pw_name
    paths = {
        "/var/lib/kla": work / "var-lib-kla",
        "/var/backups/kla": work / "backups",
        "/etc/kla/kla.env": work / "etc" / "kla.env",
        "/etc/letsencrypt/live/kla.tanjabbarkab.go.id": work / "tls",
        "/srv/kla": ROOT,
    }
    for key in ("/var/lib/kla", "/var/backups/kla", "/etc/letsencrypt/live/kla.tanjabbarkab.go.id"):
        paths[key].mkdir(parents=True)
    (paths["/var/lib/kla"] / "evidence").mkdir()
    (work / "etc").mkdir()
    (work / "bin").mkdir()
    (work / "nginx").mkdir()
    ports = {name: free_port() for name in ("gunicorn", "http", "https", "smtp")}
    procs: list[subprocess.Popen] = []
    sink = None
    nginx_conf = work / "nginx" / "nginx.conf"
    try:
        # --- Certificate: self-signed for the guide's host (and 127.0.0.1, the mail sink) -----
        tls = paths["/etc/letsencrypt/live/kla.tanjabbarkab.go.id"]
        run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1"]
            + ["-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
            env={"PATH": SYSTEMD_PATH},
            what="openssl: a self-signed certificate",
        )
        sink = MailSink(ports["smtp"], tls / "fullchain.pem", tls / "privkey.pem")
        threading.Thread(target=sink.serve_forever, daemon=True).start()

        # --- The environment file ---------------------------------------------------------------
        env_text = env_block
        env_text = set_value(env_text, "SECRET_KEY", secrets.token_urlsafe(64))
        env_text = set_value(env_text, "DATABASE_URL", database_url)
        env_text = set_value(env_text, "EMAIL_HOST", "127.0.0.1")
        env_text = set_value(env_text, "EMAIL_PORT", str(ports["smtp"]))
        env_text = set_value(env_text, "EMAIL_HOST_PASSWORD", "sink-Pass $HOME `x` #1\\")
        env_text = substitute(env_text, "/var/lib/kla", str(paths["/var/lib/kla"]), "env", 2)
        require(
            "<password>" not in env_text and "<python3" not in env_text,
            "the environment file has a placeholder this check does not fill",
        )
        env_file = paths["/etc/kla/kla.env"]
        env_file.write_text(env_text, encoding="utf-8")
        by_systemd = systemd_environment_file(env_text)
        by_sh = sh_environment_file(env_file)
        differing = {
            k: (by_systemd.get(k), by_sh.get(k))
            for k in by_systemd.keys() | by_sh.keys()
            if by_systemd.get(k) != by_sh.get(k)
        }
        require(not differing, f"systemd and sh read the file differently: {differing}")
        require(
            by_systemd["KLA_DISTRICT_NAME"] == "Kabupaten Tanjung Jabung Barat",
            f"KLA_DISTRICT_NAME read as {by_systemd['KLA_DISTRICT_NAME']!r}",
        )
        require(
            by_systemd["DEFAULT_FROM_EMAIL"] == "Gugus Tugas KLA <kla@tanjabbarkab.go.id>",
            f"DEFAULT_FROM_EMAIL read as {by_systemd['DEFAULT_FROM_EMAIL']!r}",
        )
        log(f"ok   the environment file: {len(by_systemd)} values, the same read by systemd and sh")

        # --- The wrapper ------------------------------------------------------------------------
        manage = wrapper
        manage = substitute(manage, "/etc/kla/kla.env", str(env_file), "wrapper")
        manage = substitute(manage, "cd /srv/kla", f"cd {shlex.quote(str(ROOT))}", "wrapper")
        manage = substitute(manage, "= kla ]", f"= {user} ]", "wrapper")
        manage = substitute(manage, "runuser -u kla ", f"runuser -u {user} ", "wrapper")
        wrapper_path = work / "bin" / "kla-manage"
        wrapper_path.write_text(manage, encoding="utf-8")
        wrapper_path.chmod(0o755)
        # cron's environment (Debian): its PATH, SHELL, HOME and LOGNAME, plus the table's own
        # variable lines, /usr/local/bin meaning our bin directory. SSL_CERT_FILE lets the jobs'
        # TLS to the mail sink trust the throwaway certificate (a real server has a real one).
        cron_env = {
            "PATH": CRON_PATH,
            "SHELL": "/bin/sh",
            "HOME": pwd.getpwuid(os.getuid()).pw_dir,
            "LOGNAME": user,
            "SSL_CERT_FILE": str(tls / "fullchain.pem"),
        }
        cron_lines = []
        for line in cron.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            assignment = re.match(r"^([A-Z_]+)=(.*)$", line)
            if assignment:
                value = assignment.group(2).replace("/usr/local/bin", str(work / "bin"))
                cron_env[assignment.group(1)] = value
                continue
            fields = line.split(None, 6)
            require(len(fields) == 7 and fields[5] == "root", f"cron line not understood: {line}")
            cron_lines.append(fields[6].replace("/var/backups/kla", str(paths["/var/backups/kla"])))

        # The operator's root shell, where /usr/local/bin is on the PATH.
        shell_env = {**cron_env, "PATH": f"{work / 'bin'}:{SYSTEMD_PATH}"}

        def kla_manage(*args: str, what: str = "") -> str:
            command = "kla-manage " + " ".join(shlex.quote(a) for a in args)
            return run(["/bin/sh", "-c", command], env=shell_env, what=what or command, cwd=work)

        kla_manage("migrate", "--no-input", "-v0")
        kla_manage("collectstatic", "--no-input", "-v0")
        kla_manage("compilemessages", "--ignore=.venv", "--ignore=node_modules", "-v0")
        kla_manage("check", "--deploy", "--fail-level", "WARNING")
        kla_manage("load_demo")

        # --- gunicorn as the service runs it ----------------------------------------------------
        exec_start = service_command(service, "ExecStart")
        exec_start = substitute(exec_start, "/srv/kla", str(ROOT), "kla.service ExecStart")
        exec_start = substitute(
            exec_start,
            "--bind 127.0.0.1:8001",
            f"--bind 127.0.0.1:{ports['gunicorn']}",
            "kla.service",
        )
        require(re.search(r"^WorkingDirectory=/srv/kla$", service, re.M), "WorkingDirectory")
        require(re.search(r"^EnvironmentFile=/etc/kla/kla.env$", service, re.M), "EnvironmentFile")
        # The service user's home (/srv/kla for the guide's `kla`) is a path like the others:
        # gunicorn keeps its control socket there, not in the home of whoever runs the check.
        (work / "home").mkdir()
        service_env = {
            "PATH": SYSTEMD_PATH,
            "HOME": str(work / "home"),
            "USER": user,
            "LOGNAME": user,
            **by_systemd,
        }
        gunicorn_log = (work / "gunicorn.log").open("w")
        procs.append(
            subprocess.Popen(
                shlex.split(exec_start),
                cwd=ROOT,
                env=service_env,
                stdout=gunicorn_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_for(ports["gunicorn"], "/healthz")
        log(f"ok   gunicorn as kla.service starts it, on 127.0.0.1:{ports['gunicorn']}")

        # --- nginx with the guide's server blocks -----------------------------------------------
        server = nginx_block
        server = substitute(server, "listen 80;", f"listen 127.0.0.1:{ports['http']};", "nginx")
        server = substitute(
            server,
            "listen 443 ssl http2;",
            f"listen 127.0.0.1:{ports['https']} ssl http2;",
            "nginx",
        )
        v6 = ipv6_loopback()
        server = substitute(
            server, "listen [::]:80;", f"listen [::1]:{ports['http']};" if v6 else "", "nginx"
        )
        server = substitute(
            server,
            "listen [::]:443 ssl http2;",
            f"listen [::1]:{ports['https']} ssl http2;" if v6 else "",
            "nginx",
        )
        server = substitute(
            server, "/etc/letsencrypt/live/kla.tanjabbarkab.go.id", str(tls), "nginx", 2
        )
        server = substitute(
            server,
            "proxy_pass http://127.0.0.1:8001;",
            f"proxy_pass http://127.0.0.1:{ports['gunicorn']};",
            "nginx",
        )
        server = substitute(
            server,
            "alias /var/lib/kla/evidence/;",
            f"alias {paths['/var/lib/kla']}/evidence/;",
            "nginx",
        )
        nginx_dir = work / "nginx"
        # The main configuration around the server blocks: Debian's http-level defaults that
        # matter here (mime types), everything nginx writes kept in our directory.
        # As root, nginx's workers would otherwise run as nobody, who cannot read our files.
        nginx_conf.write_text(
            (f"user {user};" if os.getuid() == 0 else "")
            + f"""
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log;
worker_processes 2;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {nginx_dir}/access.log;
    client_body_temp_path {nginx_dir}/client_body;
    proxy_temp_path {nginx_dir}/proxy;
    fastcgi_temp_path {nginx_dir}/fastcgi;
    uwsgi_temp_path {nginx_dir}/uwsgi;
    scgi_temp_path {nginx_dir}/scgi;
{server}
}}
""",
            encoding="utf-8",
        )
        run(
            [nginx, "-t", "-q", "-p", str(nginx_dir), "-c", str(nginx_conf)],
            env={"PATH": SYSTEMD_PATH},
            what="nginx -t: the guide's server blocks",
        )
        run(
            [nginx, "-p", str(nginx_dir), "-c", str(nginx_conf)],
            env={"PATH": SYSTEMD_PATH},
            what="nginx started",
        )

        # --- Through nginx ----------------------------------------------------------------------
        plain = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=30)
        plain.request("GET", "/masuk/?next=/", headers={"Host": HOST})
        redirect = plain.getresponse()
        require(
            redirect.status == 301
            and redirect.headers["Location"] == f"https://{HOST}/masuk/?next=/",
            f"http: {redirect.status} {redirect.headers['Location']}",
        )
        log("ok   http:// redirects to https://")

        client = Client(ports["https"], tls / "fullchain.pem")
        page, html = client.request("GET", "/masuk/")
        require(page.status == 200, f"login page: {page.status}")
        check_security_headers("the login page", page)
        log("ok   a page through nginx, with CSP, nosniff, X-Frame-Options, HSTS")

        static_path = re.search(r'href="(/static/[^"]+\.css)"', html.decode())
        require(static_path, "the login page links no stylesheet")
        static, css = client.request("GET", static_path.group(1))
        require(
            static.status == 200
            and static.headers["Content-Type"].startswith("text/css")
            and len(css) > 1000,
            f"static file: {static.status} {static.headers['Content-Type']}",
        )
        check_security_headers("a static file", static)
        log(f"ok   a static file through nginx ({static_path.group(1)}), with the headers")

        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html.decode()).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "sekretariat", "password": DEMO_PASSWORD}
        ).encode()
        login, _ = client.request(
            "POST",
            "/masuk/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}/masuk/",
                "X-Real-IP": "203.0.113.66",  # a client's forgery: nginx must overwrite it
            },
        )
        require(login.status == 302, f"login: {login.status}")

        found = json.loads(
            kla_manage(
                "shell",
                "-c",
                (
                    "import json; from opd.models import EvidenceRevision as R; "
                    "r = R.objects.filter(content_type='application/pdf').order_by('pk').first(); "
                    "print(json.dumps({'pk': r.pk, 'sha256': r.sha256, 'name': r.file.name}))"
                ),
                what="kla-manage shell: a demo PDF to fetch",
            )
            .strip()
            .splitlines()[-1]
        )
        download, body = client.request(
            "GET", f"/opd/berkas/{found['pk']}/unduh/", headers={"X-Real-IP": "203.0.113.66"}
        )
        require(download.status == 200, f"evidence download: {download.status}")
        require(hashlib.sha256(body).hexdigest() == found["sha256"], "evidence bytes differ")
        # Sent by nginx from the file (X-Accel-Redirect), not streamed by Django.
        require(
            download.headers.get("Accept-Ranges") == "bytes" and download.headers["ETag"],
            "the download did not come from nginx's X-Accel-Redirect",
        )
        require(
            download.headers["Content-Disposition"].startswith("attachment;"),
            f"download: {download.headers['Content-Disposition']}",
        )
        require("sandbox" in download.headers["Content-Security-Policy"], "download: sandbox")
        require(download.headers["Cache-Control"] == "private, no-store", "download: caching")
        check_security_headers("an evidence download", download)
        preview, body = client.request("GET", f"/opd/berkas/{found['pk']}/pratinjau/")
        require(
            preview.status == 200 and hashlib.sha256(body).hexdigest() == found["sha256"],
            f"evidence preview: {preview.status}",
        )
        require(preview.headers["Content-Disposition"].startswith("inline;"), "preview: inline")
        require(
            "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"],
            "preview: CSP frame-ancestors",
        )
        check_security_headers("an evidence preview", preview, frame="SAMEORIGIN")
        log(
            f"ok   evidence through X-Accel-Redirect ({len(body)} bytes, SHA-256 right): "
            "download attachment and preview inline, each with its own headers"
        )
        audited = (
            kla_manage(
                "shell",
                "-c",
                (
                    "from opd.models import AuditEvent as A; "
                    "print(A.objects.filter(action=A.Action.EVIDENCE_DOWNLOAD).latest('pk').ip_address)"
                ),
                what="kla-manage shell: the download's audited address",
            )
            .strip()
            .splitlines()[-1]
        )
        require(audited == "127.0.0.1", f"the download was audited from {audited}, not 127.0.0.1")
        log("ok   a client's X-Real-IP is overwritten by nginx ($remote_addr)")

        # --- The scheduled jobs -----------------------------------------------------------------
        before = len(sink.messages)
        for line in cron_lines:
            # As cron runs a line: $SHELL -c, in the user's home directory.
            run(
                [cron_env["SHELL"], "-c", line],
                env=cron_env,
                what=f"cron: {line}",
                cwd=cron_env["HOME"],
                timeout=900,
            )
        archives = sorted(paths["/var/backups/kla"].glob("kla-backup-*.tar.gz"))
        require(archives, "the cron backup wrote no archive")
        backup_start = service_command(backup_unit, "ExecStart")
        backup_start = substitute(backup_start, "/srv/kla", str(ROOT), "kla-backup.service")
        backup_start = substitute(
            backup_start, "/var/backups/kla", str(paths["/var/backups/kla"]), "kla-backup.service"
        )
        run(shlex.split(backup_start), env=service_env, what="kla-backup.service ExecStart")
        post = service_command(backup_unit, "ExecStartPost")
        post = substitute(post, "/var/backups/kla", str(paths["/var/backups/kla"]), "backup")
        run(shlex.split(post), env=service_env, what="kla-backup.service ExecStartPost")
        mails = len(sink.messages) - before
        log(
            f"ok   {len(cron_lines)} cron jobs and the backup service; {mails} mails reached"
            " the SMTP server over STARTTLS"
        )
        log(f"deploy check passed in {time.monotonic() - started:.0f} s")
        return 0
    except (CheckFailed, subprocess.TimeoutExpired) as error:
        log(f"FAILED: {error}")
        for name in ("gunicorn.log", "nginx/error.log"):
            path = work / name
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-30:]
                log(f"--- last lines of {name}:\n" + "\n".join(tail))
        return 1
    finally:
        pid_file = work / "nginx" / "nginx.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                pid = int(pid_file.read_text().strip())
                os.kill(pid, signal.SIGQUIT)
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.1)
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if sink:
            sink.shutdown()
            sink.server_close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailed as error:
        log(f"FAILED: {error}")
        sys.exit(1)
