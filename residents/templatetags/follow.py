"""Template filters for the follow and report snippets (residents/_follow.html, residents/_report.html).

A district may be given as its model instance or as an entry of the district pages' directory (a mapping with
its ``slug``, residents.selectors.district_directory): both name the same pages.
"""

from collections.abc import Mapping

from django import template
from django.urls import reverse

from residents import targets

register = template.Library()


@register.filter
def follow_url(target) -> str:
    """``{{ address|follow_url }}`` or ``{{ district|follow_url }}``: the page to follow it by e-mail."""
    if isinstance(target, Mapping):
        return reverse("follow:district", kwargs={"district": target["slug"]})
    return targets.follow_page(target)


@register.filter
def feed_url(target) -> str:
    """``{{ address|feed_url }}`` or ``{{ district|feed_url }}``: its Atom feed of published changes."""
    if isinstance(target, Mapping):
        return reverse("follow:district-feed", kwargs={"district": target["slug"]})
    return targets.feed_path(target)


@register.filter
def report_url(address) -> str:
    """``{{ address|report_url }}``: the form to report an error at the address."""
    return targets.report_page(address)
