"""Meeting-day load: Panel members and office staff reading the dashboard.

Run by bench/load.sh (make load), which starts gunicorn on PostgreSQL and passes LOAD_USERNAME and
LOAD_PASSWORD for a signed-in reader. Pages: the snapshot overview, a measure page, a Panel report,
the JSON API and the public page. URLs are discovered once from the running site, so they follow
whatever snapshot, measures and meetings the seeded database holds.
"""

import os
import random
import re

import requests
from locust import HttpUser, between, events, task

TARGETS: dict[str, list[str]] = {}


def _sign_in(session, base: str) -> None:
    page = session.get(f"{base}/accounts/sign-in/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/sign-in/",
        data={
            "username": os.environ["LOAD_USERNAME"],
            "password": os.environ["LOAD_PASSWORD"],
            "csrfmiddlewaretoken": token,
        },
        headers={"Referer": f"{base}/accounts/sign-in/"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {os.environ['LOAD_USERNAME']} failed ({response.status_code})")


@events.init.add_listener
def discover(environment, **_kwargs):
    """Find the latest snapshot, its measures and the Panel reports the load user can open.

    Runs at start-up, before the clock for --run-time starts."""
    base = environment.host.rstrip("/")
    session = requests.Session()
    _sign_in(session, base)
    snapshots = session.get(f"{base}/api/v1/snapshots", timeout=30).json()
    items = snapshots.get("snapshots", snapshots) if isinstance(snapshots, dict) else snapshots
    as_of = items[0]["as_of"]
    measures = session.get(f"{base}/api/v1/snapshots/{as_of}/measures", timeout=30).json()
    measure_items = measures.get("measures", measures) if isinstance(measures, dict) else measures
    codes = [m["code"] for m in measure_items][:12]
    meetings = session.get(f"{base}/meetings/", timeout=30).text
    meeting_ids = sorted(set(re.findall(r'href="/meetings/(\d+)/"', meetings)))
    reports = []
    for pk in meeting_ids:
        if session.get(f"{base}/meetings/{pk}/report/", timeout=60).status_code == 200:
            reports.append(f"/meetings/{pk}/report/")
        if len(reports) >= 3:
            break
    TARGETS.update(
        overview=[f"/snapshots/{as_of}/"],
        measure=[f"/snapshots/{as_of}/measures/{code}/" for code in codes],
        panel_report=reports,
        api=[f"/api/v1/snapshots/{as_of}/measures"]
        + [f"/api/v1/snapshots/{as_of}/measures/{code}/series" for code in codes[:6]],
        public=["/public/"],
    )
    missing = [name for name, urls in TARGETS.items() if not urls]
    if missing:
        raise RuntimeError(f"no URLs found for {missing}: is the database seeded (seed_demo)?")
    print("Load targets:", {name: len(urls) for name, urls in TARGETS.items()})


class Reader(HttpUser):
    """A signed-in reader moving between pages, with a short pause between clicks."""

    wait_time = between(0.5, 2)

    def on_start(self):
        page = self.client.get("/accounts/sign-in/", name="sign-in form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post(
            "/accounts/sign-in/",
            data={
                "username": os.environ["LOAD_USERNAME"],
                "password": os.environ["LOAD_PASSWORD"],
                "csrfmiddlewaretoken": token,
            },
            name="sign-in POST (password hash)",
        )

    def _get(self, kind: str):
        self.client.get(random.choice(TARGETS[kind]), name=kind)  # noqa: S311 - not security

    @task(3)
    def overview(self):
        self._get("overview")

    @task(3)
    def measure(self):
        self._get("measure")

    @task(1)
    def panel_report(self):
        self._get("panel_report")

    @task(2)
    def api(self):
        self._get("api")

    @task(2)
    def public(self):
        self._get("public")
