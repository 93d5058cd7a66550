"""Template filters of the residents' pages."""

from django import template

from residents import links

register = template.Library()


@register.filter
def address_url(address) -> str:
    """``{{ address|address_url }}``: the address page's permalink."""
    return links.address_url(address)
