"""The shared cache (across gunicorn workers) and the data versions that invalidate what it holds.

A data version is a token per kind of data ("addresses", "rollout", ...). The
services that change that data call ``data_changed`` explicitly (no signals);
caches put the tokens of everything they depend on into their keys, so one
change makes every older entry unreachable at once, in every process, without
listing or deleting entries. Unreachable entries age out (TIMEOUT) or are culled.
"""

from __future__ import annotations

import pickle
import random
import uuid
import zlib

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db import transaction

SHARED = "shared"

ADDRESSES = "addresses"
ROLLOUT = "rollout"
AVAILABILITY = "availability"

_PREFIX = "data-version:"


class SharedFileCache(FileBasedCache):
    """Django's file cache, but culling only on about one set in ``CULL_EVERY`` (OPTIONS, default 100).

    FileBasedCache lists its whole directory on every set to decide whether to
    cull; with tens of thousands of tiles that listing costs more than making a
    tile. Culling now and then keeps the size bounded (overshoot ~CULL_EVERY entries).
    Writes use fast compression.
    """

    def __init__(self, dir, params):
        options = params.get("OPTIONS", {})
        self._cull_every = int(options.get("CULL_EVERY", 100))
        params = {**params, "OPTIONS": {k: v for k, v in options.items() if k != "CULL_EVERY"}}
        super().__init__(dir, params)

    def _cull(self):
        if random.randrange(self._cull_every) == 0:  # noqa: S311 - not security relevant
            super()._cull()

    def _write_content(self, file, timeout, value):
        # As Django's, but zlib level 1: vector tiles are already dense, and level 6
        # took 0.8 ms for a 26 kB tile against 0.2 ms (for 2 % more bytes).
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), 1))


def shared_cache():
    return caches[SHARED]


def data_changed(*names: str) -> None:
    """Give each named kind of data a new version: now, and again once the transaction commits.

    Now, so that tests and code outside a transaction see the change at once;
    after the commit, because a request between the first bump and the commit
    may have cached the old rows under the new version.
    """
    _bump(names)
    transaction.on_commit(lambda: _bump(names))


def _bump(names: tuple[str, ...]) -> None:
    shared_cache().set_many({_PREFIX + name: uuid.uuid4().hex[:12] for name in names}, timeout=None)


def data_versions(*names: str) -> tuple[str, ...]:
    """The current version token of each named kind of data (made on first use)."""
    cache = shared_cache()
    found = cache.get_many([_PREFIX + name for name in names])
    missing = {_PREFIX + n: uuid.uuid4().hex[:12] for n in names if _PREFIX + n not in found}
    for key, token in missing.items():
        # add(): of two processes starting at once, the first token wins.
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
        found[key] = token
    return tuple(found[_PREFIX + name] for name in names)
