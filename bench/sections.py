"""Freezing, pages, cached throughput and page weight; each skips with a note if its code is absent."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import generate, harness
from bench.harness import PY, ROOT, Table, child, child_env, guarded, median

HISTORY = {"1×": 12, "10×": 120, "100×": 1200}


def _have(module: str, name: str) -> bool:
    """Whether the product module defines this function yet (read, not imported: no Django here)."""
    path = ROOT / (module.replace(".", "/") + ".py")
    return path.exists() and f"def {name}(" in path.read_text(encoding="utf-8")


def run_rest(table: Table, *, env: dict, national: Path, rows: int, wanted: set[str]) -> None:
    """Freeze, pages, http and weight; a section that fails is reported and the others still run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    if "freeze" in wanted:
        if _have("reports.services", "snapshot_freeze"):
            guarded(table, "freeze", section_freeze, table, env)
        else:
            table.note("freeze skipped: reports.services.snapshot_freeze is not there yet")
    pages_envs = {}
    if wanted & {"pages", "http", "weight"}:
        if all(_have(m, n) for m, n in (("reports.views.pages", "measure_detail"), ("reports.views.panel", "report"))):
            pages_envs = guarded(table, "pages", pages_setup, table, only_1x="pages" not in wanted)
        else:
            table.note("pages, http and weight skipped: the snapshot pages or Panel report are not there yet")
        if not pages_envs:
            return
    if "pages" in wanted:
        guarded(table, "pages", section_pages, table, pages_envs)
    if wanted & {"http", "weight"}:
        guarded(table, "http", _served, table, pages_envs["1×"], wanted)


def _served(table: Table, env: dict, wanted: set[str]) -> None:
    with Server(env) as server:
        if "http" in wanted:
            guarded(table, "http", section_http, table, server)
        if "weight" in wanted:
            guarded(table, "weight", section_weight, table, server)


# -- freezing ----------------------------------------------------------------------------------
def section_freeze(table: Table, env: dict) -> None:
    as_of = "2024-08-31"
    floor, product = [], []
    for i in range(harness.runs()):
        print(f"freeze round {i + 1}", flush=True)
        floor.append(child(["freeze-floor", "--as-of", as_of], env=env))
        product.append(child(["freeze", "--as-of", as_of], env=env))
    profile = generate.OUT / "profile_freeze.txt"
    if os.environ.get("BENCH_PROFILE", "1") == "1":
        child(["freeze", "--as-of", as_of, "--profile", str(profile)], env=env)
    f = median([r.figures["seconds"] for r in floor])
    p = median([r.figures["seconds"] for r in product])
    obs = product[-1].figures["observations"]
    results = product[-1].figures["results"]
    s = "freeze"
    table.add(s, f"floor: one INSERT … SELECT of {obs:,} rows", f"{f:.2f} s")
    table.add(s, f"snapshot_freeze ({obs:,} rows, {results:,} payloads)", f"{p:.2f} s")
    rss = max(r.max_rss_mb for r in product)
    table.add(s, "ratio freeze / floor", f"{p / f:.1f}×", "goal ≤ 4×")
    table.add(s, "freeze peak memory", f"{rss:,.0f} MB", "goal < 1 GB")
    top = _profile_top(profile)
    if top:
        table.note("freeze profile (pyinstrument, one extra run): " + "; ".join(top))
    table.goal(
        "Freeze within 4× of the INSERT…SELECT floor",
        "met" if p <= 4 * f else "not met",
        f"{p / f:.1f}× ({p:.1f} s vs {f:.1f} s)",
    )
    table.goal("Freeze peak memory < 1 GB", "met" if rss < 1024 else "not met", f"{rss:,.0f} MB")


def _profile_top(path: Path, limit: int = 8) -> list[str]:
    """The largest named frames of a pyinstrument text profile (seconds and function)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^[\s|`-]*([\d.]+) (\w[\w.<>]*)\s+(\S+)", line)
        if m and ("reports/" in m.group(3) or "returns/" in m.group(3)):
            found.append((float(m.group(1)), f"{m.group(2)} {m.group(1)} s"))
    found.sort(reverse=True)
    return [text for _, text in found[1 : limit + 1]]


# -- pages at 1×, 10×, 100× history --------------------------------------------------------
def pages_setup(table: Table, *, only_1x: bool = False) -> dict[str, dict]:
    envs = {}
    for label, months in HISTORY.items():
        if only_1x and label != "1×":
            continue
        env = child_env(harness.pg_recreate(f"{os.environ.get('BENCH_DB', 'pcc_bench')}_pages_{months}"))
        harness.migrate(env)
        result = child(["setup-pages", "--months", str(months)], env=env)
        table.add(
            "pages",
            f"set-up {label}: {months} months, {result.figures['rows']:,} rows",
            f"{result.figures['freeze_seconds']:.1f} s",
            "freeze time (one run)",
        )
        envs[label] = env
    return envs


def section_pages(table: Table, envs: dict[str, dict]) -> None:
    repeat = max(10, int(os.environ.get("BENCH_PAGE_REPEAT", "30")))
    # BENCH_RUNS rounds, each measuring every size in turn, so a burst of load on this shared
    # machine falls on all sizes alike; each figure is the median of the rounds' figures.
    rounds: dict[str, list[dict]] = {label: [] for label in envs}
    for i in range(harness.runs()):
        for label, env in envs.items():
            print(f"pages round {i + 1}, {label}", flush=True)
            rounds[label].append(child(["pages", "--repeat", str(repeat)], env=env).figures)
    figures = {label: _median_figures(found) for label, found in rounds.items()}
    s = "pages"
    worst_ratio, worst_queries = 0.0, 0
    for page in figures["1×"]:
        for label in envs:
            f = figures[label][page]
            if "error" in f:
                table.add(s, f"{page} at {label}", f["error"])
                continue
            table.add(
                s,
                f"{page} at {label} median / p95, queries",
                f"{f['median_ms']:.0f} / {f['p95_ms']:.0f} ms",
                f"{f['queries']} queries, {f['bytes'] / 1024:.0f} KB",
            )
            worst_queries = max(worst_queries, f["queries"])
        base, top = figures["1×"][page], figures.get("100×", {}).get(page)
        if top and "error" not in top and "error" not in base:
            ratio = top["p95_ms"] / base["p95_ms"]
            worst_ratio = max(worst_ratio, ratio)
            table.add(s, f"{page}: p95 100× / p95 1×", f"{ratio:.2f}×", "goal ≤ 1.5×")
    table.note(
        f"page times: Django test client, cache cleared before each of {repeat} requests (a first reader's cost);"
        f" median of {harness.runs()} interleaved rounds"
    )
    table.goal(
        "Pages: p95 at 100× history within 1.5× of 1×",
        "met" if worst_ratio <= 1.5 else "not met",
        f"worst page {worst_ratio:.2f}×",
    )
    table.goal(
        "Pages: at most 15 queries per page at every size",
        "met" if worst_queries <= 15 else "not met",
        f"most queries on one page: {worst_queries}",
    )


def _median_figures(rounds: list[dict]) -> dict:
    """Per page: the median over rounds of the median and p95 times; the most queries; the size."""
    merged = {}
    for page, first in rounds[0].items():
        found = [r[page] for r in rounds if "error" not in r.get(page, {"error": True})]
        if "error" in first or not found:
            merged[page] = first
            continue
        merged[page] = {
            "median_ms": median([f["median_ms"] for f in found]),
            "p95_ms": median([f["p95_ms"] for f in found]),
            "queries": max(f["queries"] for f in found),
            "bytes": found[-1]["bytes"],
        }
    return merged


# -- gunicorn on loopback ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _shared_cache() -> str:
    """A Redis database of the bench's own, emptied (production's shared cache), or "" without Redis."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except Exception:  # noqa: BLE001 - no Redis here: the per-process cache, and the table says so
        return ""
    return url


class Server:
    """gunicorn on loopback serving the 1× pages database, static files collected and compressed.

    With a shared cache (Redis) as in production: pages and sessions are shared by the workers.
    """

    def __init__(self, env: dict):
        self.static_root = Path(tempfile.mkdtemp(prefix="pcc-bench-static-"))
        self.cache_url = _shared_cache()
        self.env = {
            **env,
            "WHITENOISE_USE_FINDERS": "0",
            "STATIC_ROOT_OVERRIDE": str(self.static_root),
            "CACHE_URL": self.cache_url,
        }
        self.port = _free_port()
        self.proc = None
        self.cookie = ""

    def __enter__(self) -> Server:
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--noinput", "-v0", "--settings", "bench.settings_bench"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.cookie = child(["session", "--username", "bench-coordinator"], env=self.env).figures["cookie"]
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "pcc_dashboard.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                os.environ.get("BENCH_WORKERS", "2"),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def keep_csrf_cookie(self) -> None:
        """Send back the CSRF cookie the first page sets, as a browser would on its next requests."""
        _, headers, _ = self.get(MEASURE_PATH)
        found = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
        if found:
            self.cookie += f"; csrftoken={found.group(1)}"

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.static_root, ignore_errors=True)

    def get(self, path: str, headers: dict | None = None, *, anonymous: bool = False) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        cookie = {} if anonymous else {"Cookie": self.cookie}
        conn.request("GET", path, headers={**cookie, **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():  # several Set-Cookie headers are joined, not lost
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return response.status, headers, body


MEASURE_PATH = "/snapshots/2024-03-31/measures/all_crime/"


@dataclass
class Load:
    """What the load tool saw: requests per second, and how many requests timed out or failed."""

    rate: float
    requests: int
    timeouts: int = 0
    failures: int = 0
    retried_after: str = ""  # the first attempt's counts when it was retried

    @property
    def clean(self) -> bool:
        return not self.timeouts and not self.failures

    def counts(self) -> str:
        return f"{self.timeouts:,} time-outs and {self.failures:,} failed in {self.requests:,} requests"


def _wrk_once(url: str, cookie: str, seconds: int) -> Load:
    """One load run: wrk (2 threads, 16 connections), or a bounded Python loop without wrk."""
    headers = {"Cookie": cookie} if cookie else {}
    if shutil.which("wrk"):
        args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
        socket_errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return Load(
            rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            requests=int(re.search(r"(\d+) requests in", out).group(1)),
            timeouts=int(socket_errors.group(4)) if socket_errors else 0,
            failures=(sum(int(socket_errors.group(i)) for i in (1, 2, 3)) if socket_errors else 0)
            + (int(non_2xx.group(1)) if non_2xx else 0),
        )
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    n, timeouts, failures, t0 = 0, 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds and n < 100_000:
        n += 1
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            failures += response.status >= 400
        except TimeoutError:
            timeouts += 1
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
    return Load(rate=n / (time.perf_counter() - t0), requests=n, timeouts=timeouts, failures=failures)


def _load(url: str, cookie: str, seconds: int) -> Load:
    """A load run retried once when it saw time-outs or failed requests (a busy shared machine).

    The figure kept is the retry's, with its own counts and the first attempt's beside it, so a
    noisy run is reported rather than silently dropped or allowed to abort the whole bench.
    """
    first = _wrk_once(url, cookie, seconds)
    if first.clean:
        return first
    print(f"  load run on {url} saw {first.counts()}: retrying once", flush=True)
    second = _wrk_once(url, cookie, seconds)
    second.retried_after = first.counts()
    return second


def _load_note(tool: str, loads: list[Load]) -> str:
    """The tool, plus any time-outs or failures the load runs behind a figure saw."""
    notes = [tool]
    for i, load in enumerate(loads, 1):
        if load.retried_after:
            notes.append(f"run {i}: {load.retried_after}, retried: {load.counts()}")
        elif not load.clean:
            notes.append(f"run {i}: {load.counts()}")
    return "; ".join(notes)


def section_http(table: Table, server: Server) -> None:
    """Anonymous readers of a published snapshot page (whole page from the cache) against a static file."""
    status, _, body = server.get(MEASURE_PATH, anonymous=True)
    if status != 200:  # a cold page on a busy machine can outlast the worker's time-out: once more
        time.sleep(5)
        status, _, body = server.get(MEASURE_PATH, anonymous=True)
    if status != 200:
        table.note(f"http skipped: the measure page answered {status} to an anonymous reader, twice")
        return
    same_size = server.static_root / "bench-same-size.html"
    same_size.write_bytes(body)  # the page's own bytes: same size, same compressibility
    # whitenoise (USE_FINDERS=0) indexes STATIC_ROOT at start: restart the workers to pick it up.
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(3)
    static_path = "/static/bench-same-size.html"
    if server.get(static_path)[0] != 200:
        table.note("http skipped: the same-size static file is not served")
        return
    seconds = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
    base = f"http://127.0.0.1:{server.port}"
    server.keep_csrf_cookie()
    for _ in range(3):  # warm every worker's page cache
        server.get(MEASURE_PATH, anonymous=True)
        server.get(MEASURE_PATH)
    page, signed_in, static = [], [], []
    for i in range(harness.runs()):
        print(f"http round {i + 1}", flush=True)
        page.append(_load(base + MEASURE_PATH, "", seconds))
        signed_in.append(_load(base + MEASURE_PATH, server.cookie, seconds))
        static.append(_load(base + static_path, "", seconds))
    p, si, st = (median([x.rate for x in loads]) for loads in (page, signed_in, static))
    tool = "wrk -t2 -c16" if shutil.which("wrk") else "Python keep-alive loop"
    cache = "Redis shared cache" if server.cache_url else "per-process memory cache (no Redis here)"
    size = f"{len(body) / 1024:.0f} KB"
    s = "http"
    table.add(
        s, f"anonymous published measure page ({size}), gunicorn 2 workers", f"{p:,.0f} req/s", _load_note(tool, page)
    )
    table.add(
        s,
        "signed-in reader, same page (fragment cached, never the whole page)",
        f"{si:,.0f} req/s",
        _load_note(tool, signed_in),
    )
    table.add(s, "cache the workers share", cache)
    table.add(s, "same-size static file through whitenoise", f"{st:,.0f} req/s", _load_note(tool, static))
    table.add(s, "ratio anonymous page / static file", f"{p / st:.2f}", "goal ≥ 0.5")
    table.add(s, "ratio signed-in page / static file", f"{si / st:.2f}", "for reference (no goal)")
    noisy = [x for x in page + static if not x.clean]
    table.goal(
        "Anonymous published page from the cache ≥ half the static file's throughput",
        ("met" if p / st >= 0.5 else "not met") + (" (noisy: see figures)" if noisy else ""),
        f"{p / st:.2f} ({p:,.0f} vs {st:,.0f} req/s, {cache}, {tool})",
    )


def section_weight(table: Table, server: Server) -> None:
    """First visit: the page and every script, stylesheet, font and image it pulls in, compressed."""
    encoding = {"Accept-Encoding": "br, gzip"}
    status, headers, html = server.get(MEASURE_PATH, encoding)
    if status != 200:
        table.note(f"weight skipped: the measure page answered {status}")
        return
    text = html.decode("utf-8", "replace")
    html_gzip = len(gzip.compress(html, 6)) if headers.get("content-encoding") is None else len(html)
    assets = set(re.findall(r'(?:src|href)="(/static/[^"#?]+)', text))
    first = {"page (HTML, gzip as a proxy would)": html_gzip}
    seen = set()
    queue = sorted(assets)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, h, body = server.get(path, encoding)
        if status != 200:
            continue
        first[path] = int(h.get("content-length", len(body)))
        if path.endswith(".css"):
            raw = server.get(path)[2].decode("utf-8", "replace")
            base = path.rsplit("/", 1)[0]
            for ref in re.findall(r"url\(['\"]?([^'\")]+)", raw):
                if ref.startswith("data:") or ref.startswith("http"):
                    continue
                queue.append(ref if ref.startswith("/") else os.path.normpath(f"{base}/{ref.split('?')[0]}"))
    total_first = sum(first.values())
    # Repeat visit: static files are within whitenoise's max-age (not asked for again); the page
    # is asked for with its ETag.
    status, headers2, _ = server.get(MEASURE_PATH, {**encoding, "If-None-Match": headers.get("etag", "")})
    repeat = 300 if status == 304 else html_gzip  # a 304 is headers only
    max_age = re.search(
        r"max-age=(\d+)", headers_static := server.get(sorted(assets)[0])[1].get("cache-control", "") or ""
    )
    s = "weight"
    biggest = sorted(((v, k) for k, v in first.items()), reverse=True)[:4]
    table.add(s, f"first visit: page + {len(first) - 1} static files, compressed", f"{total_first / 1024:,.0f} KB")
    for size, name in biggest:
        table.add(s, f"  {name}", f"{size / 1024:,.0f} KB")
    table.add(
        s,
        "repeat visit (page revalidated, static within max-age)",
        f"{repeat / 1024:,.1f} KB",
        f"page answered {status}; static Cache-Control: {headers_static}",
    )
    table.goal(
        "First visit < 1.5 MB",
        "met" if total_first < 1.5 * 1024 * 1024 else "not met",
        f"{total_first / 1024:,.0f} KB",
    )
    table.goal(
        "Repeat visit < 100 KB",
        "met" if repeat < 100 * 1024 and max_age else "not met",
        f"{repeat / 1024:,.1f} KB (page {status}; static max-age {max_age.group(1) if max_age else 'none'} s)",
    )
