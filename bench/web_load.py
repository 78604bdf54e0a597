"""Load test of the pages people use most: the customer page, the workbench, a filtered customer
list and the nine insight dashboards (for the province, a city and a district), on the
``province`` size in PostgreSQL, served by gunicorn with the production settings, driven by wrk
with 20 concurrent connections on loopback. Prints p50, p95, p99 and throughput per page, and
what one page costs: the CPU milliseconds the gunicorn workers and the PostgreSQL backends spent
per request served in the same run, and the page's SQL queries. A cProfile of each hot page (the
customer page, the workbench, the filtered list) is saved under var/bench-<size>/profiles/
(``<page>.prof`` for snakeviz or pstats, ``<page>.txt`` the top functions by cumulative time).

    .venv/bin/python bench/web_load.py            # prepares the database on first use (minutes)
    .venv/bin/python bench/web_load.py --size demo --duration 10
    .venv/bin/python bench/web_load.py --only dashboards

Needs PostgreSQL (PG_URL, default postgres://postgres@127.0.0.1:5432/postgres, used to create the
database ``zhengqi_bench_<size>``), wrk (Debian: ``apt-get install wrk``) and, as a province
would run it, Redis for the cache (``--cache``, default redis://127.0.0.1:6379/15; ``--cache files``
for the cache in files). The lake of the generated province lives in var/bench-<size>/.
Targets: p95 under 150 ms for the
customer page, the workbench and the dashboards, under 250 ms for the filtered list (issue 25): at 20
connections on two cores that is about 15 ms of CPU per page.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PASSWORD = "Zhengqi@2026"

# wrk calls done() once at the end; the paths rotate so that each request asks for another row.
LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format(
    '{"p50": %%.2f, "p95": %%.2f, "p99": %%.2f, "rps": %%.1f, "requests": %%d, "errors": %%d, "non2xx": %%d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def run(cmd: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]  # subprocess.run's overloads cannot follow **kwargs


def prepare(env: dict[str, str], size: str, admin_url: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone()
        if not exists:
            con.execute(f'CREATE DATABASE "{db}"')
    zhengqi = str(VENV / "zhengqi")
    started = time.perf_counter()
    run([zhengqi, "migrate", "--noinput", "-v", "0"], env)
    run([zhengqi, "demo", "--size", size, "--if-empty"], env)
    run([zhengqi, "run-month", "--last", "2", "--if-missing"], env)  # two: the tier migration needs last month
    run([zhengqi, "collectstatic", "--noinput", "-v", "0"], env)
    print(f"准备数据库 prepared in {time.perf_counter() - started:.0f} s", flush=True)


def pick(env: dict[str, str]) -> dict[str, object]:
    """The busiest account manager, their customers, and a regional manager's filtered list."""
    code = """
import json, django
django.setup()
from django.db.models import Count
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
am = User.objects.filter(role="account_manager").annotate(n=Count("customers")).order_by("-n").first()
ids = list(Customer.objects.filter(account_manager=am).order_by("?").values_list("pk", flat=True)[:200])
city = User.objects.filter(role="regional_manager", region__level="city").first()
district = User.objects.filter(role="regional_manager", region__level="district").first()
admin = User.objects.filter(role="provincial_admin").first()
print(json.dumps({"am": am.username, "am_customers": am.n, "customers": ids, "city_manager": city.username,
                  "city_customers": Customer.objects.filter(region__path__startswith=city.region.path).count(),
                  "district_manager": district.username, "admin": admin.username}))
"""
    out = run([str(VENV / "python"), "-c", code], env, capture_output=True).stdout
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def session_cookie(base: str, username: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}))
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, f"login as {username} failed"
    return f"sessionid={cookies['sessionid']}"


def cpu_seconds(pids: list[int], *, reaped: bool = False) -> float:
    """User + system CPU seconds these processes have used so far (Linux /proc); with ``reaped``,
    also that of their children that have ended (PostgreSQL's backends of closed connections)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        if reaped:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for
    return total / tick


def postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server so far: the live backends, and through the
    postmaster's children's times those that have ended (a backend's CPU is not lost with it)."""
    pids = postgres_backends()
    postmaster = [pid for pid in pids if parent_of(pid) not in pids]
    return cpu_seconds([p for p in pids if p not in postmaster]) + cpu_seconds(postmaster, reaped=True)


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def children_of(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def postgres_backends() -> list[int]:
    """Every PostgreSQL process on this machine (the server is local in this benchmark)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


PROFILE_CHILD = """
import cProfile, io, json, pstats, sys, time, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from zhengqi.accounts.models import User
from zhengqi.customers.versions import data_changed
plan = json.loads(sys.argv[1])
out = {}
for name, username, paths, folder in plan:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    for path in paths[:3]:  # templates compiled, per-process caches filled
        client.get(path)
    data_changed()  # every page stale: what a first view costs
    cold, cpu = [], time.process_time()
    for path in paths[:5]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200, path
        cold.append(len(ctx.captured_queries))
    cold_ms = (time.process_time() - cpu) * 1000 / len(paths[:5])
    warm = []
    for path in paths[:5]:
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        warm.append(len(ctx.captured_queries))
    profile = cProfile.Profile()
    profile.enable()
    for i in range(20):
        client.get(paths[i % min(len(paths), 5)])
    profile.disable()
    profile.dump_stats(folder + ".prof")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
    with open(folder + ".txt", "w") as f:
        f.write(text.getvalue())
    out[name] = {"warm": max(warm), "cold": max(cold), "cold_ms": round(cold_ms, 1)}
print(json.dumps(out))
"""


def profile_pages(env: dict[str, str], plan: list[tuple[str, str, list[str], str]]) -> dict[str, dict[str, float]]:
    """In a Django process of its own (the same settings and database), for each hot page: the most
    queries any of its first paths makes seen again (``warm``) and seen first, its data just changed
    (``cold``, with the CPU milliseconds of that first view), and a cProfile of 20 views."""
    code = run([str(VENV / "python"), "-c", PROFILE_CHILD, json.dumps(plan)], env, capture_output=True).stdout
    counts: dict[str, dict[str, float]] = json.loads(code.strip().splitlines()[-1])
    return counts


def get(base: str, cookie: str, path: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:  # our own server on loopback
        response.read()


def wrk(base: str, cookie: str, paths: list[str], *, connections: int, duration: int, threads: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            "-H",
            f"Cookie: {cookie}",
            base,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script.name)
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="province")
    parser.add_argument("--pg", default=os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=int, default=20, help="seconds per page")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--cache",
        default=os.environ.get("ZHENGQI_CACHE_URL", "redis://127.0.0.1:6379/15"),
        help="the cache the server uses, as a province would run it (Redis); 'files' for the cache in files",
    )
    parser.add_argument(
        "--only", choices=["pages", "dashboards"], help="only the account manager's pages, or only the dashboards"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk：apt-get install wrk  (wrk is needed)")

    db = f"zhengqi_bench_{args.size}"
    db_url = args.pg.rsplit("/", 1)[0] + f"/{db}"
    var = ROOT / "var" / f"bench-{args.size}"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "ZHENGQI_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ZHENGQI_SECRET_KEY": secrets.token_urlsafe(48),
        "ZHENGQI_HTTPS": "0",
        "PYTHONPATH": str(ROOT),
        "ZHENGQI_CACHE_URL": "" if args.cache == "files" else args.cache,
    }
    prepare(env, args.size, args.pg, db)
    chosen = pick(env)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        am = session_cookie(base, str(chosen["am"]))
        city = session_cookie(base, str(chosen["city_manager"]))
        customers = [f"/customers/{pk}/" for pk in chosen["customers"]]  # type: ignore[attr-defined]  # the chosen ids are a list (built above)
        lists = [
            f"/customers/?{q}"
            for q in (
                "tier=A&status=active",
                "industry=C&sort=-value_score",
                "q=%E7%A7%91%E6%8A%80",  # 科技
                "customer_type=government&tier=B",
                "status=active&sort=name&page=3",
            )
        ]
        pages = [
            ("客户页 customer page", am, customers, 150),
            ("工作台 workbench", am, ["/workbench/"], 150),
            ("筛选列表 filtered list", city, lists, 250),
        ]
        # The nine dashboards, unfiltered and filtered, for the province, a city and a district (issue 8).
        boards = ["performance", "revenue", "portfolio", "expiry", "quality", "arrears", "lock_in", "migration", "risk"]
        variants = ["", "?tier=A", "?industry=C", "?customer_type=government"]
        dashboards = [f"/insight/{b}/{v}" for b in boards for v in variants]
        district = session_cookie(base, str(chosen["district_manager"]))
        admin = session_cookie(base, str(chosen["admin"]))
        boards_pages = [
            ("看板 dashboards · 全省", admin, dashboards, 150),
            ("看板 dashboards · 地市", city, dashboards, 150),
            ("看板 dashboards · 区县", district, dashboards, 150),
        ]
        if args.only == "dashboards":
            pages = boards_pages
        elif args.only is None:
            pages += boards_pages
        print(
            f"规模 {args.size}: 客户经理 {chosen['am']} 有 {chosen['am_customers']} 个客户；"
            f"地市经理 {chosen['city_manager']} 可见 {chosen['city_customers']} 个客户；"
            f"gunicorn {args.workers} workers, wrk {args.connections} connections × {args.duration} s, "
            f"cache {args.cache}, "
            f"{os.cpu_count()} CPU",
            flush=True,
        )
        profiles = var / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        hot = {"客户页 customer page": "customer", "工作台 workbench": "workbench", "筛选列表 filtered list": "list"}
        users = {am: str(chosen["am"]), city: str(chosen["city_manager"])}
        queries = profile_pages(
            env,
            [
                (name, users[cookie], paths, str(profiles / hot[name]))
                for name, cookie, paths, _ in pages
                if name in hot
            ],
        )
        print(f"剖析 profiles: {profiles}/", flush=True)
        workers = children_of(server.pid)
        print(
            f"{'page × clients':<30}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}"
            f"{'app CPU':>9}{'db CPU':>8}{'queries':>8}  target p95"
        )
        for name, cookie, paths, target in pages:
            # Every page seen once (the steady state of a morning: what a first view costs is printed
            # below, from the profile), then the workers warmed.
            for path in paths:
                get(base, cookie, path)
            wrk(base, cookie, paths, connections=2, duration=3, threads=1)
            # One client first: the page's own latency, with the machine otherwise idle.
            alone = wrk(base, cookie, paths, connections=1, duration=max(5, args.duration // 4), threads=1)
            app_before, db_before = cpu_seconds(workers), postgres_cpu()
            r = wrk(base, cookie, paths, connections=args.connections, duration=args.duration, threads=2)
            served = max(r["requests"], 1)
            app_ms = (cpu_seconds(workers) - app_before) * 1000 / served
            db_ms = (postgres_cpu() - db_before) * 1000 / served
            verdict = "ok" if r["p95"] <= target else "MISSED"
            n_queries = str(queries[name]["warm"]) if name in queries else ""
            for label, x, cost in (
                (f"{name} ×1", alone, ""),
                (f"{name} ×{args.connections}", r, f"{app_ms:>9.1f}{db_ms:>8.1f}{n_queries:>8}  ≤{target} {verdict}"),
            ):
                print(
                    f"{label:<30}{x['p50']:>9.1f}{x['p95']:>9.1f}{x['p99']:>9.1f}{x['rps']:>9.1f}"
                    f"{int(x['errors'] + x['non2xx']):>8}{cost}",
                    flush=True,
                )
        print("app CPU / db CPU: milliseconds of CPU per request (gunicorn workers / PostgreSQL), in the ×N run;")
        print("queries: of a page seen again. A first view (its data just changed), in a process of its own:")
        for name, q in queries.items():
            print(f"  {name}: {q['cold']} queries, {q['cold_ms']} ms of application CPU")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
