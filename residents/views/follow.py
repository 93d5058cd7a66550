"""Pages of following: the form for an address or district, confirming, unsubscribing, the Atom feeds.

Confirming and unsubscribing are two steps in the browser (the link shows a page with one button), so that a
mail scanner that opens every link confirms and unsubscribes nobody. The unsubscribe URL also takes the one-click
POST of RFC 8058 from mail clients, without CSRF token: its secret is the proof.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from geoportal.errorpages import with_error_pages
from geoportal.errors import NotFoundError
from geoportal.ratelimits import limited
from layers import selectors as layer_selectors
from layers.models import Address, District
from residents.follow import selectors, services
from residents.follow.forms import SubscribeForm
from residents.forms import forms_rate, language_now
from residents.targets import district_for_slug, feed_path, follow_page, target_label, target_page

PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def private_page(response: HttpResponse) -> HttpResponse:
    """A page under a secret link: kept by no cache and no search engine."""
    for header, value in PRIVATE.items():
        response[header] = value
    return response


@require_http_methods(["GET", "POST"])
@limited(group="residents-follow", rate=forms_rate, methods=("POST",))
@with_error_pages
def follow_address(request: HttpRequest, postcode: str, street: str, house: str) -> HttpResponse:
    address = layer_selectors.address_by_permalink(postcode=postcode, street_slug=street, house=house)
    return _follow(request, address)


@require_http_methods(["GET", "POST"])
@limited(group="residents-follow", rate=forms_rate, methods=("POST",))
@with_error_pages
def follow_district(request: HttpRequest, district: str) -> HttpResponse:
    return _follow(request, district_for_slug(district_slug=district))


def _follow(request: HttpRequest, target: Address | District) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        email = form.cleaned_data["email"]
        services.subscription_request(email=email, target=target, language=language_now())
        # The same words whether or not the address follows already: the page tells nobody.
        messages.success(
            request,
            _(
                "Thank you. We have sent an e-mail to %(email)s. Please open the link in it within %(days)s days "
                "to confirm; until then you receive nothing else."
            )
            % {"email": email, "days": services.UNCONFIRMED_KEEP_DAYS},
        )
        return redirect(follow_page(target))
    context = {
        "target": target,
        "label": target_label(target),
        "target_url": target_page(target),
        "feed_url": feed_path(target),
        "form": form,
        "is_district": isinstance(target, District),
    }
    status = 400 if form.is_bound else 200
    return render(request, "residents/follow.html", context, status=status)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscription = services.subscription_confirm(token=token)
            return private_page(render(request, "residents/confirmed.html", _subscription_context(subscription)))
        subscription = selectors.subscription_by_confirm_token(token=token)
    except NotFoundError:
        return _link_gone(request)
    return private_page(render(request, "residents/confirm.html", _subscription_context(subscription)))


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to this URL and cannot send a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscription = services.subscription_cancel(token=token)
            return private_page(render(request, "residents/unsubscribed.html", _subscription_context(subscription)))
        subscription = selectors.subscription_by_unsubscribe_token(token=token)
    except NotFoundError:
        return _link_gone(request)
    return private_page(render(request, "residents/unsubscribe.html", _subscription_context(subscription)))


def _subscription_context(subscription) -> dict:
    target = subscription.target
    return {
        "subscription": subscription,
        "label": target_label(target),
        "target_url": target_page(target),
        "feed_url": feed_path(target),
        "follow_url": follow_page(target),
    }


def _link_gone(request: HttpRequest) -> HttpResponse:
    """An unknown, used-up or mistyped link: say what that can mean, as a 404 page."""
    return private_page(render(request, "residents/link_gone.html", status=404))
