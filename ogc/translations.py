"""German (and any other language) for the texts of pygeoapi's HTML templates: "Collections", "Items", "Next", ...

pygeoapi renders its Jinja templates with ``jinja2.ext.i18n`` and the Babel catalogue
``<server.locale_dir>/<language>/LC_MESSAGES/messages.mo`` (``pygeoapi.util.render_j2_template``; the
PyPI wheel ships no catalogue, so without one every page is English). Ours is
``locale/de/LC_MESSAGES/messages.po`` beside Django's ``django.po`` (Django reads only the ``django``
domain); setup and the tests compile it to ``messages.mo`` like the django.po files (geoportal/catalogues.py).
English needs no catalogue: the message ids are pygeoapi's English texts.

The same catalogue translates the link titles pygeoapi's API functions make in Python ("Items as GeoJSON",
"This document as JSON", ...: ``pygeoapi.l10n.translate``, which reads ``pygeoapi.l10n.LOCALEDIR``, the
wheel's missing ``locale`` folder, unless ``pygeoapi_catalogue_use`` points it at ours), in the HTML pages and
in the JSON documents alike, as pygeoapi intends.

``scripts/ogc_templates.py`` adds new texts of the templates below and of those API functions to the catalogue
after a pygeoapi upgrade (empty, for a translator); tests/ogc/test_translations.py fails while one is
untranslated.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"  # pygeoapi's (Babel's default)
OUR_TEMPLATES = Path(__file__).resolve().parent / "templates" / "pygeoapi"
# pygeoapi's own templates (not copied, as they need no patch) that our pages render: their texts are
# translated too. Our tiles pages (templates/pygeoapi/tiles/) are translated by Django (django.po).
PYGEOAPI_TEMPLATES_USED = [
    "conformance.html",
    "collections/index.html",
    "collections/schema.html",
    "exception.html",
    "openapi/swagger.html",
    "openapi/redoc.html",
]


def templates_translated() -> list[Path]:
    """Every template rendered with this catalogue: our copies and pages, and pygeoapi's own that we use."""
    import pygeoapi

    theirs = Path(pygeoapi.__file__).parent / "templates"
    ours = sorted(path for path in OUR_TEMPLATES.rglob("*.html") if path.relative_to(OUR_TEMPLATES).parts[0] != "tiles")
    return ours + [theirs / name for name in PYGEOAPI_TEMPLATES_USED]


# pygeoapi's API modules whose functions we serve (landing page, collections, items, item) and whose link titles
# are therefore ours to translate.
PYGEOAPI_API_MODULES = ["api/__init__.py", "api/collection.py", "api/itemtypes.py"]


def api_texts() -> dict[str, tuple[str, int]]:
    """The texts pygeoapi's API functions translate (``l10n.translate`` of a literal), with where each first occurs.

    Read from the installed pygeoapi's source, so an upgrade's new link titles show up. ``f'Items as {key}'``
    is expanded for the output formats pygeoapi has (``PLUGINS['formatter']``: CSV), and so is the one title
    pygeoapi leaves untranslated, ``f'This document as {key}'`` (translated by ``link_title``).
    """
    import pygeoapi
    from pygeoapi.plugin import PLUGINS

    found: dict[str, tuple[str, int]] = {}
    for name in PYGEOAPI_API_MODULES:
        tree = ast.parse((Path(pygeoapi.__file__).parent / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and ast.unparse(node) == UNTRANSLATED_FORMAT_TITLE:
                for key in PLUGINS["formatter"]:
                    found.setdefault(f"This document as {key}", (f"pygeoapi/{name}", node.lineno))
                continue
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "translate"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "l10n"
                and node.args
            ):
                continue
            text = node.args[0]
            if isinstance(text, ast.Constant) and isinstance(text.value, str):
                found.setdefault(text.value, (f"pygeoapi/{name}", node.lineno))
            elif isinstance(text, ast.JoinedStr) and ast.unparse(text) == "f'Items as {key}'":
                for key in PLUGINS["formatter"]:
                    found.setdefault(f"Items as {key}", (f"pygeoapi/{name}", node.lineno))
    return found


# The link titles pygeoapi gives the items' output formats (pygeoapi.api.itemtypes), without l10n.translate.
UNTRANSLATED_FORMAT_TITLE = "f'This document as {key}'"


def link_title(title: str, language: str) -> str:
    """A link title of pygeoapi's in ``language`` (a language tag, as in Content-Language): the titles of its
    output-format links ("This document as CSV") come untranslated; any other title is returned as it is."""
    if not title.startswith("This document as "):
        return title
    return catalogue(language.replace("_", "-").split("-")[0].lower()).gettext(title)


def pygeoapi_catalogue_use() -> None:
    """Point ``pygeoapi.l10n.translate`` (link titles) at our catalogue; it reads ``LOCALEDIR`` on every call."""
    from pygeoapi import l10n

    l10n.LOCALEDIR = LOCALE_DIR


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of a language (``NullTranslations``, i.e. English, when there is none)."""
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def gettext(message: str) -> str:
    """Django's translation in the active language, else this catalogue's: for templates that mix our texts
    (django.po: the tiles pages) with pygeoapi's (its _base.html)."""
    from django.utils import translation

    translated = translation.gettext(message)
    if translated == message:
        translated = catalogue((translation.get_language() or "de").split("-")[0]).gettext(message)
    return translated


class _NoCache(dict):
    """Stands in for ``pygeoapi.l10n._cfg_cache``: remembers nothing."""

    def get(self, key, default=None):
        return default

    def __setitem__(self, key, value) -> None:
        pass


_translated: dict[tuple[int, str], tuple[dict, dict]] = {}


def pygeoapi_config_cache_fix() -> None:
    """Key pygeoapi's cache of translated configurations by configuration, not by language only.

    ``pygeoapi.l10n.translate_struct(config, locale, is_config=True)`` (every HTML page:
    ``render_j2_template``) keeps the first configuration it translated per language for the process's
    lifetime, so every later page of that language rendered the first one: the first request's host in
    its links, the catalogue (and contact, OGC_CONTACT_EMAIL) of the first minute, and a collection added
    later was missing from ``config['resources']``. Ours keeps one per configuration object (each API
    object's, ogc.views) and language; translating costs ~8 ms, a hit nothing.
    """
    from pygeoapi import l10n

    if getattr(l10n.translate_struct, "keyed_by_config", False):
        return
    original = l10n.translate_struct
    l10n._cfg_cache = _NoCache()

    def translate_struct(struct, locale_, is_config: bool = False):
        if not is_config or not struct or not locale_:
            return original(struct, locale_, is_config)
        key = (id(struct), str(locale_))
        hit = _translated.get(key)
        if hit is not None and hit[0] is struct:  # the same object, not a new one at a reused address
            return hit[1]
        if len(_translated) > 256:
            _translated.clear()
        result = original(struct, locale_, True)
        _translated[key] = (struct, result)
        return result

    translate_struct.keyed_by_config = True
    l10n.translate_struct = translate_struct
