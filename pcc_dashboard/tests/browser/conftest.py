"""Browser suite harness: a real server in a subprocess, Debian chromium via Playwright, and axe-core.

The server runs `manage.py runserver` against a file SQLite database in a temporary folder, set up
with the same commands a co-ordinator uses (migrate, import_reference, import_plan, seed_demo).
A subprocess rather than pytest-django's live_server: snapshot rows are protected by database
triggers, so the TransactionTestCase flush behind live_server would fail.

Every page a role reaches by links from the home page is found by `walks(role)` and checked by
test_every_page.py (reflow, scroll regions, chart text, focus, axe). For a page state that links do
not reach (a form's error, a 404), use `axe_check(page, site.url("/path/"))` on a page from `page`
(anonymous) or `page_as("coordinator")` (signed in).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("PCC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# WCAG 2.2 AA, as GDS monitors it; wcag22aa must be named or axe skips target-size. best-practice
# adds what the accessibility audit ran too: content outside landmarks, unique landmark names, headings.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
DEMO_TO = "2015-03"
PASSWORD = "browser-suite-passphrase-2015"
ROLES = ("coordinator", "csp_submitter", "police_submitter", "panel", "pdg")
ANONYMOUS = "anonymous"
# Who walks every page they can reach (the suite's users, and a visitor who has not signed in).
WALKERS = (ANONYMOUS, *ROLES)

# Make users, one per role, each tied to a submitter where the role needs one. Idempotent.
_MAKE_USERS = """
import json
from django.contrib.auth.models import Group, User
from returns.models import Submitter, SubmitterKind, SubmitterMembership
kinds = {"csp_submitter": SubmitterKind.CSP, "police_submitter": SubmitterKind.FORCE}
made = {}
for role in %(roles)r:
    user, _ = User.objects.get_or_create(username="browser-" + role.replace("_", "-"))
    user.set_password(%(password)r)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    submitter = None
    if role in kinds:
        submitter = Submitter.objects.filter(kind=kinds[role]).order_by("code").first()
        SubmitterMembership.objects.get_or_create(user=user, submitter=submitter)
    made[role] = {"username": user.username, "submitter": submitter.code if submitter else None}
print("USERS=" + json.dumps(made))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """The running app: its base URL, the environment it runs with, and its temporary folder."""

    base_url: str
    env: dict
    folder: Path
    users: dict = field(default_factory=dict)
    has_demo: bool = False

    def url(self, path: str) -> str:
        return self.base_url + path

    def manage(self, *args: str, timeout: int = 900) -> str:
        """Run a management command against the suite's database and return its output."""
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def has_command(self, name: str) -> bool:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "help", name], cwd=ROOT, env=self.env, capture_output=True, timeout=120
        )
        return result.returncode == 0


def _wait_until_up(url: str, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback URL we built
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"runserver did not answer on {url} within {seconds}s")


@pytest.fixture(scope="session")
def site():
    """Set up a database, start the app on a free loopback port, and stop it after the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    folder = Path(tempfile.mkdtemp(prefix="pcc-browser-"))
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "PCC_PROFILE": "development",
        "PCC_ALLOW_INSECURE_KEY": "1",
        "PCC_REQUIRE_2FA": "0",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "RETURN_FILES_DIR": str(folder / "files"),
        # seed_demo writes the demo passwords here, not over the developer's var/demo_users.txt.
        "DEMO_USERS_FILE": str(folder / "demo_users.txt"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SECRET_KEY", None)
    site = Site(base_url=f"http://127.0.0.1:{port}", env=env, folder=folder)
    seeded = os.environ.get("PCC_BROWSER_SEEDED_DB")
    if seeded:
        # For quick local iteration: a copy of a database already set up as below (seed_demo takes minutes).
        shutil.copyfile(seeded, folder / "db.sqlite3")
        site.manage("migrate", "--noinput", "-v0")
        site.has_demo = True
    else:
        site.manage("migrate", "--noinput", "-v0")
        site.manage("import_reference")
        site.manage("import_plan", "fixtures/plan_leicestershire_2014.yaml")
        if site.has_command("seed_demo"):
            site.manage("seed_demo", "--to", DEMO_TO)
            site.has_demo = True
    out = site.manage("shell", "-c", _MAKE_USERS % {"roles": ROLES, "password": PASSWORD})
    site.users = json.loads(out.split("USERS=", 1)[1].strip())
    log = open(folder / "runserver.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(site.url("/"), server)
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        server_log = (folder / "runserver.log").read_text(errors="replace")
        if "Traceback" in server_log:
            print("\n--- runserver log (contains a traceback) ---\n" + server_log[-8000:])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """A fresh anonymous browser tab (own cookies)."""
    context = browser.new_context(base_url=site.base_url)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, site, role: str) -> None:
    """Sign in through the real form as the suite's user for `role`."""
    page.goto(site.url("/accounts/sign-in/"))
    page.fill("#id_username", site.users[role]["username"])
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Signed in as " + site.users[role]["username"] in page.inner_text("body"), page.url


@pytest.fixture(scope="session")
def _role_states(browser, site, tmp_path_factory):
    """Sign in once per role and keep the cookies, so each test starts signed in without the form."""
    states = {}

    def state_for(role: str) -> str:
        if role not in states:
            context = browser.new_context(base_url=site.base_url)
            sign_in(context.new_page(), site, role)
            path = tmp_path_factory.mktemp("state") / f"{role}.json"
            context.storage_state(path=str(path))
            context.close()
            states[role] = str(path)
        return states[role]

    return state_for


def new_context(browser, site, role_states, role: str):
    """A browser context for `role` (signed in) or ANONYMOUS (no cookies)."""
    if role == ANONYMOUS:
        return browser.new_context(base_url=site.base_url)
    return browser.new_context(base_url=site.base_url, storage_state=role_states(role))


@pytest.fixture(scope="session")
def walks(browser, site, _role_states):
    """walks(role) → the pages `role` reaches by links from "/" (crawl.Walk), crawled once per session.

    A page that looks alike to every role (the public page; a chart kind on a URL pattern) is kept
    by the first role's walk only, which keeps the suite's time down."""
    from pcc_dashboard.tests.browser.crawl import crawl

    found, covered = {}, set()

    def walk_for(role: str):
        if role not in found:
            context = new_context(browser, site, _role_states, role)
            try:
                found[role] = crawl(context.request, site.base_url, covered)
            finally:
                context.close()
        return found[role]

    return walk_for


@pytest.fixture
def page_as(browser, site, _role_states):
    """page_as(role) → a browser tab signed in as that role's user."""
    contexts = []

    def make(role: str):
        context = browser.new_context(base_url=site.base_url, storage_state=_role_states(role))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def axe_check(page, url: str | None = None, *, exclude: list[str] | None = None):
    """Open `url` (if given) and assert axe-core finds no WCAG 2.2 AA or best-practice violations; return the result."""
    from axe_playwright_python.sync_playwright import Axe

    if url is not None:
        page.goto(url)
    page.wait_for_load_state("load")
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    result = Axe().run(page, context=context, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert result.violations_count == 0, f"axe found problems on {page.url}:\n{result.generate_report()}"
    return result


@pytest.fixture(name="axe_check")
def axe_check_fixture():
    return axe_check
