"""Fictional demo providers. The names are invented and marked " (Demo)" so nobody takes them for real firms."""

from __future__ import annotations

from rollout.models import Provider

# (name, slug, colour); websites use the reserved .example domain (RFC 2606).
PROVIDERS: tuple[tuple[str, str, str], ...] = (
    ("Musterfaser Ruhr (Demo)", "demo-musterfaser-ruhr", "#1f77b4"),
    ("Beispielnetz West (Demo)", "demo-beispielnetz-west", "#ff7f0e"),
    ("Lichtweg Exemplar (Demo)", "demo-lichtweg-exemplar", "#2ca02c"),
    ("Glasfaser Fiktiv (Demo)", "demo-glasfaser-fiktiv", "#d62728"),
    ("Kabelwerk Platzhalter (Demo)", "demo-kabelwerk-platzhalter", "#9467bd"),
)


def demo_providers_create() -> list[Provider]:
    """Create the five fictional providers; a later step may hand them rollout plans."""
    return [
        Provider.objects.create(name=name, slug=slug, colour=colour, website=f"https://{slug}.example/", is_demo=True)
        for name, slug, colour in PROVIDERS
    ]
