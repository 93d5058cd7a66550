"""The Glasfaserportal test suite (pygeoapi installs a top-level `tests` package too: keep this file)."""
