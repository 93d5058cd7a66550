"""geoportal.cache.SharedFileCache on its own: misses, hits, expiry, uncompressed files, keys of any characters."""

import time

import pytest

from geoportal.cache import SharedFileCache


@pytest.fixture
def cache(tmp_path):
    return SharedFileCache(str(tmp_path), {"TIMEOUT": 60})


def test_a_miss_gives_the_default_and_a_set_value_comes_back(cache):
    key = "tile:addresses:12.34:public:14/8505/5454"
    assert cache.get(key) is None
    assert cache.get(key, b"default") == b"default"
    cache.set(key, b"\x1a\x02tile")
    assert cache.get(key) == b"\x1a\x02tile"
    assert cache.get(key + "x") is None


def test_an_expired_entry_is_a_miss(cache):
    cache.set("k", b"v", timeout=1)
    assert cache.get("k") == b"v"
    time.sleep(1.1)
    assert cache.get("k", "gone") == "gone"


def test_values_are_stored_uncompressed_under_the_bin_suffix(cache, tmp_path):
    cache.set("k", b"tile bytes " * 100)
    (path,) = tmp_path.glob("*.bin")
    assert b"tile bytes tile bytes" in path.read_bytes()


def test_keys_that_memcached_would_refuse_still_name_files(cache):
    key = "tile:rollout-areas:1.2:versions 3,4 with spaces and ü:14/1/2"
    cache.set(key, b"v")
    assert cache.get(key) == b"v"
