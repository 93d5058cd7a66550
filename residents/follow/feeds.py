"""Atom 1.0 feeds of an address and of a district, from the change log of the public availability.

One entry per change set that touched the address (or the district), dated by the publication of the version that
caused it; its text is the same as a notification's. Links are absolute on settings.SITE_URL. XML 1.0 cannot hold
control characters at all, so they are dropped from every text (Django's generator would otherwise fail); markup
in provider names is escaped by the template and again by the XML generator.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from layers import selectors as layer_selectors
from layers.models import Address, District
from residents.follow import selectors
from residents.follow.presentation import change_rows, summary_providers
from residents.targets import absolute, district_for_slug, feed_path, target_label, target_page

# What XML 1.0 does not allow (C0 controls but tab, newline, carriage return; and U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", str(text))


class _ChangesFeed(Feed):
    feed_type = Atom1Feed

    def title(self, target: Address | District) -> str:
        return xml_text(_("Fibre rollout: %(target)s") % {"target": target_label(target)})

    def subtitle(self, target: Address | District) -> str:
        return _("Published changes of stage and expected date, from every provider.")

    def link(self, target: Address | District) -> str:
        return absolute(target_page(target))

    def feed_url(self, target: Address | District) -> str:
        return absolute(feed_path(target))

    def feed_guid(self, target: Address | District) -> str:
        return self.feed_url(target)

    def author_name(self, target: Address | District) -> str:
        return xml_text(_("Fibre portal %(city)s") % {"city": settings.CITY_NAME})

    def item_title(self, item: dict) -> str:
        return xml_text(item["title"])

    def item_description(self, item: dict) -> str:
        return xml_text(item["html"])

    def item_link(self, item: dict) -> str:
        return item["link"]

    def item_guid(self, item: dict) -> str:
        return item["guid"]

    def item_guid_is_permalink(self, item: dict) -> bool:
        return False

    def item_pubdate(self, item: dict):
        return item["published_at"]

    def item_updateddate(self, item: dict):
        return item["published_at"]

    def _item(self, target: Address | District, entry: dict, html: str) -> dict:
        published = entry["published_at"]
        return {
            "title": _("Changes published on %(date)s") % {"date": date_format(published, "SHORT_DATE_FORMAT")},
            "html": html,
            "link": absolute(target_page(target)),
            "guid": f"{absolute(feed_path(target))}#{entry['changeset'].pk}",
            "published_at": published,
        }


class AddressFeed(_ChangesFeed):
    def get_object(self, request: HttpRequest, postcode: str, street: str, house: str) -> Address:
        return layer_selectors.address_by_permalink(postcode=postcode, street_slug=street, house=house)

    def items(self, address: Address) -> list[dict]:
        items = []
        for entry in selectors.address_feed_entries(address=address):
            html = render_to_string("residents/feeds/changes.html", {"rows": change_rows(entry["changes"])})
            items.append(self._item(address, entry, html))
        return items


class DistrictFeed(_ChangesFeed):
    def get_object(self, request: HttpRequest, district: str) -> District:
        return district_for_slug(district_slug=district)

    def items(self, district: District) -> list[dict]:
        items = []
        for entry in selectors.district_feed_entries(district=district):
            html = render_to_string("residents/feeds/changes.html", {"providers": summary_providers(entry["summary"])})
            items.append(self._item(district, entry, html))
        return items
