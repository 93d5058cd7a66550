"""The least a WSGI application can do: answer every GET with ``n`` bytes (query ``?n=``), headers like a tile's.

bench.py serves it the way scripts/serve.sh serves the site (granian, same workers and threads) and
times it with the same client: the latency no tile, cached or not, can go below on this machine."""

from urllib.parse import parse_qs

_BODIES: dict[int, bytes] = {}


def application(environ, start_response):
    n = int(parse_qs(environ.get("QUERY_STRING", "")).get("n", ["0"])[0])
    body = _BODIES.get(n)
    if body is None:
        body = _BODIES.setdefault(n, b"\x1a" * n)
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/vnd.mapbox-vector-tile"),
            ("Content-Length", str(n)),
            ("Access-Control-Allow-Origin", "*"),
            ("Cache-Control", "public, max-age=60"),
            ("ETag", '"floor"'),
            ("Vary", "Accept, Accept-Language, Cookie, Origin"),
        ],
    )
    return [body]
