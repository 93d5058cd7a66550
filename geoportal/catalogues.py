"""Compile the translation catalogues: ``locale/*/LC_MESSAGES/*.po`` to ``.mo``, where missing or stale.

``.mo`` files are build output, not in git. Both catalogue domains are compiled: ``django`` (Django's) and
``messages`` (pygeoapi's template texts and link titles, ogc/translations.py). The one implementation for
``make run``/``make setup`` (``python -m geoportal.catalogues``, scripts/run.sh) and the tests (tests/conftest.py),
so ``make test`` compiles once, in pytest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues_compile(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Run ``msgfmt --check`` on every .po whose .mo is missing or older; returns the .mo files written."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            raise FileNotFoundError("msgfmt is missing: install Debian's gettext package (apt-get install gettext)")
        subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603 - our own files
        written.append(mo)
    return written


if __name__ == "__main__":
    try:
        catalogues_compile()
    except FileNotFoundError as error:
        sys.exit(str(error))
