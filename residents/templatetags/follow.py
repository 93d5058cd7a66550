"""Template filters for the follow and report snippets (residents/_follow.html, residents/_report.html)."""

from django import template

from residents import targets

register = template.Library()


@register.filter
def follow_url(target) -> str:
    """``{{ address|follow_url }}`` or ``{{ district|follow_url }}``: the page to follow it by e-mail."""
    return targets.follow_page(target)


@register.filter
def feed_url(target) -> str:
    """``{{ address|feed_url }}``: its Atom feed of published changes."""
    return targets.feed_path(target)


@register.filter
def report_url(address) -> str:
    """``{{ address|report_url }}``: the form to report an error at the address."""
    return targets.report_page(address)
