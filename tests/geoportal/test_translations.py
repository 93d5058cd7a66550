"""German first: every text the code and templates mark for translation has its German in django.po.

The counterpart of tests/ogc/test_translations.py (pygeoapi's texts in messages.po). Without this, model and
field names added since the last translation stayed English in the admin: the catalogue is written by hand,
so a text nobody added to it fails no other check.
"""

from __future__ import annotations

import shutil

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command

from tests.conftest import REPO

GERMAN = REPO / "locale" / "de" / "LC_MESSAGES" / "django.po"
# What makemessages reads for the django domain: the apps' Python code and the templates.
SOURCES = ["coordination", "geoportal", "layers", "ogc", "residents", "rollout", "schools", "templates"]


def _german() -> dict:
    with GERMAN.open("rb") as handle:
        return {(message.context, message.id): message for message in read_po(handle) if message.id}


def test_every_entry_of_django_po_is_translated_and_not_fuzzy():
    german = _german()
    assert len(german) > 400
    untranslated = [key for key, message in german.items() if not message.string or not all(message.string)]
    assert not untranslated, untranslated
    assert not [key for key, message in german.items() if message.fuzzy]


@pytest.mark.slow
def test_every_text_marked_for_translation_is_in_django_po(tmp_path, settings, monkeypatch):
    """makemessages over a copy of the sources (it writes beside them), compared with the German catalogue."""
    for name in SOURCES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["de"], domain="django", verbosity=0)
    with (tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        marked = {(message.context, message.id): message for message in read_po(handle) if message.id}
    assert len(marked) > 400  # the extraction finds the site's texts
    german = _german()
    missing = {
        key: [path for path, _ in marked[key].locations][:2]
        for key in marked
        if key not in german or not german[key].string
    }
    assert not missing, "add German to locale/de/LC_MESSAGES/django.po for: " + repr(missing)


def test_the_admin_shows_the_rollout_models_in_german(admin_client):
    from rollout.tokens import provider_token_create
    from tests.factories import ProviderFactory, member_of

    provider = ProviderFactory()
    provider_token_create(provider=provider, user=member_of(provider), name="GIS-Export", by=None)
    tokens = admin_client.get("/admin/rollout/providertoken/").content.decode()
    for german in ("API-Tokens", "Präfix", "Zuletzt verwendet", "Widerrufen", "Ausgewählte Tokens widerrufen"):
        assert german in tokens
    form = admin_client.get(f"/admin/rollout/provider/{provider.pk}/change/").content.decode()
    assert "Darf selbst veröffentlichen" in form
    assert "Die Stadt erlaubt den Mitgliedern dieses Anbieters" in form
