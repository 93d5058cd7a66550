"""The shared cache (across the server's worker processes): files under var/cache, or redis with CACHE_URL.

What it holds is keyed by the data versions of the tables it was made from
(geoportal/data_version.py), so a change makes every older entry unreachable at
once, in every process, without listing or deleting entries. Unreachable entries
age out (TIMEOUT) or are culled.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import random
import tempfile
import threading

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

SHARED = "shared"
logger = logging.getLogger(__name__)


class SharedFileCache(FileBasedCache):
    """Django's file cache, but culling only on about one set in ``CULL_EVERY`` (OPTIONS, default 100),
    and storing values uncompressed.

    FileBasedCache lists its whole directory on every set to decide whether to
    cull; with tens of thousands of tiles that listing costs more than making a
    tile. Culling now and then keeps the size bounded (overshoot ~CULL_EVERY entries).
    Compressing a vector tile (zlib, even at level 1) cost ~0.2 ms per write and
    decompressing it on every read, against ~1.2 ms for making a city-size tile;
    tiles take about twice the disk space instead. Files end in ``.bin``: files of
    the compressed format (``.djcache``) are not read.
    """

    cache_suffix = ".bin"

    def __init__(self, dir, params):
        options = params.get("OPTIONS", {})
        self._cull_every = int(options.get("CULL_EVERY", 100))
        params = {**params, "OPTIONS": {k: v for k, v in options.items() if k != "CULL_EVERY"}}
        super().__init__(dir, params)

    def _cull(self):
        if random.randrange(self._cull_every) == 0:  # noqa: S311 - not security relevant
            super()._cull()

    def _write_content(self, file, timeout, value):
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def make_and_validate_key(self, key, version=None):
        # Without Django's check of every character for memcached (a Python loop over the key, ~2 µs
        # a read): the key only names a file, through its MD5 (_key_to_file).
        return self.make_key(key, version=version)

    def get(self, key, default=None, version=None):
        # A miss (the common case for a tile not made yet) is one stat, without raising and catching.
        path = self._key_to_file(key, version)
        if not os.path.exists(path):
            return default
        try:
            with open(path, "rb") as f:
                if not self._is_expired(f):
                    return pickle.load(f)  # noqa: S301 - our own cache files
        except FileNotFoundError:  # culled or expired and deleted meanwhile
            pass
        return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # As Django's, with os.replace for its file_move_safe (the same atomic rename, fewer checks).
        self._createdir()
        fname = self._key_to_file(key, version)
        self._cull()
        fd, tmp_path = tempfile.mkstemp(dir=self._dir)
        try:
            with open(fd, "wb") as f:
                self._write_content(f, timeout, value)
            os.replace(tmp_path, fname)
        except BaseException:
            os.remove(tmp_path)
            raise

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            with open(self._key_to_file(key, version), "r+b") as f:
                try:
                    locks.lock(f, locks.LOCK_EX)
                    if self._is_expired(f):
                        return False
                    value = pickle.load(f)  # noqa: S301 - our own cache files
                    f.seek(0)
                    self._write_content(f, timeout, value)
                    f.truncate()
                    return True
                finally:
                    locks.unlock(f)
        except FileNotFoundError:
            return False


def shared_cache() -> BaseCache:
    return caches[SHARED]


class _Writer:
    """A thread of its own that writes to the shared cache after the response has gone out.

    A server reads the next request of a kept-alive connection only once the previous one is done,
    including the work its body's close() does; a tile's file write (~0.2-0.3 ms: a temporary file,
    the write, a rename) there delayed the next tile of a map client's connection. The write is
    nearly all system calls, which release the GIL, so the thread costs the request threads little.
    Bounded: with MAX_PENDING writes waiting, more are dropped (a later miss makes the tile again).
    Per process; a forked process starts its own.
    """

    MAX_PENDING = 1000

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: queue.Queue[tuple[BaseCache, str, object]] = queue.Queue(maxsize=self.MAX_PENDING)
        threading.Thread(target=self._run, name="shared-cache-writer", daemon=True).start()

    def _run(self) -> None:
        while True:
            cache, key, value = self.queue.get()
            try:
                cache.set(key, value)
            except Exception:  # noqa: BLE001 - a failed write must not end the writer
                logger.warning("shared cache write failed", exc_info=True)
            finally:
                self.queue.task_done()


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def shared_cache_set_soon(key: str, value: object) -> None:
    """``shared_cache().set(key, value)`` in the background (see _Writer); dropped when too many wait."""
    global _writer
    if _writer is None or _writer.pid != os.getpid():
        with _writer_lock:
            if _writer is None or _writer.pid != os.getpid():
                _writer = _Writer()
    try:
        # The calling thread's cache instance: the one its settings configure (tests override them).
        _writer.queue.put_nowait((shared_cache(), key, value))
    except queue.Full:
        pass


def shared_cache_flush() -> None:
    """Wait until every write handed to shared_cache_set_soon so far is done (tests)."""
    if _writer is not None and _writer.pid == os.getpid():
        _writer.queue.join()
