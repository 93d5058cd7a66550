"""Part S of the benchmark: latency of the address search's suggestions, against the raw SQL it runs.

Queries are made from the bench database's own streets and addresses, the ways residents type them:
partial names ("Schlo"), misspellings (two letters swapped, one missing, one extra, one wrong), umlaut and
ß variants and abbreviations ("Muelheimer Str."), with house numbers, postcodes and the city's name. Every
query is distinct and asked once per side, so no cache helps (the answers are publicly cacheable, and a
browser's or proxy's cached answer would measure nothing).

- ours: ``GET /suche/vorschlaege?q=…`` one after the other over one kept-alive connection to the site as
  ``make run`` serves it (granian, DEBUG off, the rate limit in the shared cache included), p50 and p99;
- raw SQL: the statement that request runs (``layers.search_selectors.search_sql`` with the parsed query),
  over one open psycopg connection with client-side parameters as the ORM sends them, p50 and p99.

The two sides take turns query by query, so that both meet the same load on a shared machine; the load
average at the end is printed with the figures.

Targets: ours p50 within 3x the raw p50, and ours p99 at 1,000,000 addresses within 1.5x of ours p99 at
35,000. Each size's figures are kept in var/bench/search.json, so the second ratio is printed whenever
both sizes have been measured (in this run or an earlier one, whose date is printed with it).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import urllib.parse
from pathlib import Path

REQUESTS = 1500
WARMUP = 60
SEED = 13


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _misspell(word: str, rng: random.Random) -> str:
    """One typing error somewhere after the first letter: a swap, a missing, an extra or a wrong letter."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "wrong"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeinrst") + word[i + 1 :]


def _variant(name: str, rng: random.Random) -> str:
    """The name as someone might type it: umlauts spelt out or dropped, "Str.", hyphens, lower case."""
    choice = rng.randrange(5)
    if choice == 0:
        name = name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    elif choice == 1:
        name = name.replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")
    elif choice == 2:
        name = name.replace("straße", "str.").replace("Straße", "Str.")
    elif choice == 3:
        name = name.replace(" ", "-")
    return name.lower() if rng.random() < 0.4 else name


def queries_make(cursor, *, count: int, city: str) -> list[str]:
    """At least ``count`` distinct queries from the database's streets and houses."""
    cursor.execute(
        "SELECT s.name, s.postcode, (SELECT array_agg(a.house_number::text || a.house_number_suffix)"
        " FROM layers_address a WHERE a.street = s.name AND a.postcode = s.postcode) FROM layers_streetindex s"
        " ORDER BY s.name, s.postcode"
    )
    streets = cursor.fetchall()
    rng = random.Random(SEED)
    made: set[str] = set()
    while len(made) < count:
        name, postcode, houses = rng.choice(streets)
        house = rng.choice(houses)
        kind = rng.randrange(7)
        if kind == 0:  # typing the beginning
            text = name[: rng.randint(3, max(3, len(name) - 2))]
        elif kind == 1:  # a typing error
            text = _misspell(name, rng)
        elif kind == 2:  # another spelling
            text = _variant(name, rng)
        elif kind == 3:
            text = f"{_variant(name, rng)} {house}"
        elif kind == 4:
            text = f"{postcode} {name} {house}"
        elif kind == 5:
            text = f"{_misspell(name, rng)} {house}, {city}"
        else:  # the number being typed
            text = f"{name} {house[: rng.randint(1, len(house))]}"
        made.add(text)
    queries = sorted(made)
    rng.shuffle(queries)
    return queries


def _measure(client, conninfo: str, queries: list[str]) -> tuple[list[float], list[float]]:
    """Each query through the site and as its raw statement, by turns (which goes first alternates), so that
    both sides meet the same load on a shared machine; seconds per query, ours and raw."""
    import psycopg

    from layers.search import address_query
    from layers.search_selectors import search_sql
    from residents.presentation import SUGGESTIONS

    ours, raw = [], []
    with psycopg.connect(conninfo, cursor_factory=psycopg.ClientCursor) as conn, conn.cursor() as cursor:

        def through_site(text: str) -> None:
            status, body, elapsed = client.get("/suche/vorschlaege?q=" + urllib.parse.quote(text))
            if status != 200:
                raise RuntimeError(f"suggestions for {text!r}: HTTP {status} {body[:200]!r}")
            ours.append(elapsed)

        def as_statement(text: str) -> None:
            sql, params = search_sql(address_query(text), streets=SUGGESTIONS, per_street=SUGGESTIONS, typing=True)
            start = time.monotonic()
            cursor.execute(sql, params)
            cursor.fetchall()
            raw.append(time.monotonic() - start)

        for i, text in enumerate(queries):
            first, second = (through_site, as_statement) if i % 2 else (as_statement, through_site)
            first(text)
            second(text)
    return ours, raw


def search_run(db, env: dict, *, serve, wait_up, client_class, var: Path, port: int, size: int) -> dict:
    """Suggestion latency, ours and raw; ``serve``/``wait_up``/``client_class`` are bench.py's server helpers."""
    import psycopg
    from django.conf import settings

    with psycopg.connect(db.conninfo()) as conn, conn.cursor() as cursor:
        queries = queries_make(cursor, count=REQUESTS + WARMUP, city=settings.CITY_NAME)
        cursor.execute("SELECT count(*) FROM layers_streetindex")
        streets = cursor.fetchone()[0]
    server_env = {
        **env,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": "",
        "SHARED_CACHE_DIR": str(var / "search-cache"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "THREADS": "4",
        # The limit guards against one client asking thousands of times a minute, which is what this does.
        "RATELIMIT_SUGGEST": "1000000/m",
    }
    var.mkdir(parents=True, exist_ok=True)
    with (var / "search-server.log").open("w") as log:
        server = serve(server_env, log)
        try:
            wait_up(f"http://127.0.0.1:{port}/suche/vorschlaege?q=warm", server, "our site")
            client = client_class("127.0.0.1", port)
            ours, raw = _measure(client, db.conninfo(), queries)
            client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    ours, raw = ours[WARMUP:], raw[WARMUP:]
    result = {
        "size": size,
        "streets": streets,
        "requests": len(ours),
        "ours_p50_ms": statistics.median(ours) * 1000,
        "ours_p99_ms": _percentile(ours, 0.99) * 1000,
        "raw_p50_ms": statistics.median(raw) * 1000,
        "raw_p99_ms": _percentile(raw, 0.99) * 1000,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "load": os.getloadavg()[0],
        "examples": queries[WARMUP : WARMUP + 8],
    }
    store = var / "search.json"
    kept = json.loads(store.read_text()) if store.exists() else {}
    kept[str(size)] = result
    store.write_text(json.dumps(kept, indent=2, ensure_ascii=False))
    return result | {"all": kept}


def search_report(result: dict, ratio) -> None:
    """Print part S for one size; ``ratio`` is bench.py's ``_ratio``."""
    r = result
    print(
        f"\naddress search suggestions ({r['requests']:,} distinct queries, one at a time over one connection;"
        f" {r['streets']:,} streets in the index; load average {r.get('load', 0):.1f}),"
        f" e.g. {', '.join(repr(q) for q in r['examples'][:5])}:"
    )
    print("| | p50 ms | p99 ms |\n|---|---:|---:|")
    print(f"| ours `/suche/vorschlaege` | {r['ours_p50_ms']:.2f} | {r['ours_p99_ms']:.2f} |")
    print(f"| raw SQL (search_sql) | {r['raw_p50_ms']:.2f} | {r['raw_p99_ms']:.2f} |")
    print(f"- p50 ours/raw: {ratio(r['ours_p50_ms'], r['raw_p50_ms'], 3, higher=False)} (target ≤3x)")
    small, large = r["all"].get("35000"), r["all"].get("1000000")
    if small and large:
        growth = ratio(large["ours_p99_ms"], small["ours_p99_ms"], 1.5, higher=False)
        print(
            f"- p99 at 1,000,000 / p99 at 35,000: {growth}"
            f" (target ≤1.5x; {large['ours_p99_ms']:.2f} ms measured {large['measured']}"
            f" at load {large.get('load', 0):.1f}, {small['ours_p99_ms']:.2f} ms measured {small['measured']}"
            f" at load {small.get('load', 0):.1f})"
        )
