"""Every page and the main interactions in Chromium at a million documents, against 5,000 in the same run.

    .venv/bin/python -m bench.pages [--documents 1000000] [--small 5000] [--rounds 5]

Acceptance benchmark of issue 18. It starts PostgreSQL (with pg_stat_statements
preloaded) and Redis, seeds two workspaces in one database — `big` with
`--documents` documents and `small` with `--small` — each as the demo does (its
seed for the first 600, then the rest by SQL over three sources and 90 days, then
the demo's rules applied and every source's quality scored through the services),
runs `streamlit run serve.py` and drives Debian's /usr/bin/chromium with
Playwright (never `playwright install`).

A round is a new browser session: sign in, the first visit of every page and the
interactions (a new search word, a new tag filter, testing a simple rule and a
regex + metadata rule), then every page again. Redis is flushed before each round,
so a first visit finds no cached figure (cold); "again" is the same session's
second visit (warm). Each item is timed from the click to settled: the script run
the click started has finished (Streamlit's running indicator gone) and the
item's element is visible. Five rounds per workspace, interleaved.

Before each round a bare Streamlit form (a title, three boxes and a button, served by
`streamlit run` beside the app) is opened in a new browser context: the floor under the
sign-in page's first paint, which is Streamlit's bundle loading in a browser that has never
seen it, and then again in that context (Streamlit's code in its cache, as for a person who
comes back; each round ends with the sign-in page reopened so, with its cookie cleared). The
sign-in page is printed against both.

Targets: every first visit and interaction p95 < 1 s; a page visited again median
< 0.5 s. With five samples, p95 is judged on the maximum. The ratio is the big
workspace's median over the small one's. Per item, the queries the app issued per
render (pg_stat_statements, reset before each item, big workspace only) are printed
with their mean time, so a regression names its query.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import redis
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, text

from bench.pages_browser import (
    BARE,
    BARE_RETURNING,
    SIGN_IN,
    SIGN_IN_RETURNING,
    Account,
    bare_form_opened,
    one_round,
)
from bench.pages_setup import SHARED_BUFFERS, Servers, app, bare_form, seed, servers, statements_engine
from tests.servers import CHROMIUM, CHROMIUM_ARGS

BIG, SMALL = "big", "small"
STATEMENTS = """
SELECT query, calls, total_exec_time FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT LIKE '%pg_stat_statements%'
"""


class Statements:
    """Per item, each query's calls and total milliseconds, summed over rounds (pg_stat_statements)."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine
        self.seen: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))

    def reset(self) -> None:
        if self.engine is not None:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_stat_statements_reset()"))

    def collect(self, item: str) -> None:
        if self.engine is None:
            return
        with self.engine.connect() as connection:
            for query, calls, total in connection.execute(text(STATEMENTS)):
                kept = self.seen[item][" ".join(query.split())]
                kept[0] += calls
                kept[1] += total

    def report(self, rounds: int, top: int) -> None:
        if self.engine is None:
            print("\nNo per-query figures: pg_stat_statements could not be loaded.")
            return
        print(f"\nQueries per render in the big workspace (pg_stat_statements, {rounds} rounds; top {top}):")
        for item, queries in self.seen.items():
            calls = sum(kept[0] for kept in queries.values()) / rounds
            total = sum(kept[1] for kept in queries.values()) / rounds
            print(f"  {item}: {calls:.0f} statements, {total:.0f} ms in PostgreSQL")
            ranked = sorted(queries.items(), key=lambda entry: -entry[1][1])[:top]
            for query, (count, spent) in ranked:
                print(f"    {count / rounds:5.1f} x {spent / count:8.2f} ms  {query[:110]}")


Times = dict[str, dict[str, list[float]]]  # item -> workspace -> seconds


def untimed(_name: str, work: Callable[[], float]) -> None:
    work()


def measure(
    found: Servers, urls: tuple[str, str], accounts: dict[str, Account], rounds: int
) -> tuple[Times, Statements]:
    """Item -> workspace -> seconds, over `rounds` interleaved rounds (after one warm-up of the server);
    `urls`: the app's and the bare form's, timed before each round as the sign-in page's reference."""
    url, reference = urls
    times: Times = defaultdict(lambda: defaultdict(list))
    statements = Statements(statements_engine(found) if found.statements else None)
    cache = redis.Redis.from_url(found.redis_url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        one_round(browser, url, accounts[SMALL], 0, untimed)
        bare_form_opened(browser, reference, untimed)
        for number in range(rounds):
            for tenant in (SMALL, BIG):
                cache.flushdb()

                def record(name: str, work: Callable[[], float], tenant: str = tenant) -> None:
                    watched = tenant == BIG
                    if watched:
                        statements.reset()
                    times[name][tenant].append(work())
                    if watched:
                        statements.collect(name)

                bare_form_opened(browser, reference, record)
                one_round(browser, url, accounts[tenant], number + 1, record)
            print(f"round {number + 1} of {rounds} done", flush=True)
        browser.close()
    return times, statements


def table(times: Times, documents: int, small: int) -> None:
    rows = [
        ("item", f"{small:,} median", f"{documents:,} median", f"{documents:,} max", "ratio", "target", "")
    ]
    for item, by_tenant in times.items():
        base, big = statistics.median(by_tenant[SMALL]), by_tenant[BIG]
        again = item.endswith(" again")
        judged = statistics.median(big) if again else max(big)
        target = "median < 0.5 s" if again else "p95 < 1 s"
        verdict = "met" if judged < (0.5 if again else 1.0) else "MISSED"
        if item in (BARE, BARE_RETURNING):
            target, verdict = "", "Streamlit alone"
        rows.append(
            (
                item,
                f"{base:.2f} s",
                f"{statistics.median(big):.2f} s",
                f"{max(big):.2f} s",
                f"{statistics.median(big) / base:.2f}",
                target,
                verdict,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    print()
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for ours_item, floor_item, browser in (
        (SIGN_IN, BARE, "that has never seen it either"),
        (SIGN_IN_RETURNING, BARE_RETURNING, "with it in its cache too"),
    ):
        ours, floor = (
            statistics.median([*times[name][SMALL], *times[name][BIG]]) for name in (ours_item, floor_item)
        )
        print(
            f"\n  The sign-in page's first paint ({ours_item.removeprefix('sign-in page, ')}), "
            f"{ours:.2f} s median, against {floor:.2f} s for a bare Streamlit form in a browser {browser}: "
            f"{ours / floor:.2f}x."
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=3, help="queries shown per item")
    args = parser.parse_args()
    with servers() as found, TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        if not found.statements:
            print(
                "PostgreSQL could not be restarted with pg_stat_statements and its larger cache: "
                "no per-query figures in this run, and the default 128 MB shared_buffers"
            )
        seeded = seed(found, data_dir, {SMALL: args.small, BIG: args.documents})
        for tenant, (seconds, _) in seeded.items():
            print(f"seeded workspace {tenant!r} in {seconds:.1f} s", flush=True)
        accounts = {
            tenant: Account(tenant, f"admin@{tenant}.example", password)
            for tenant, (_, password) in seeded.items()
        }
        with app(found, data_dir) as url, bare_form(data_dir) as reference:
            times, statements = measure(found, (url, reference), accounts, args.rounds)
    print(
        f"\nbench/pages.py: {args.documents:,} documents against {args.small:,} "
        f"(seeded in {seeded[BIG][0]:.0f} s and {seeded[SMALL][0]:.0f} s), {args.rounds} rounds, "
        f"shared_buffers {SHARED_BUFFERS if found.statements else '128MB'}"
    )
    table(times, args.documents, args.small)
    statements.report(args.rounds, args.top)


if __name__ == "__main__":
    main()
