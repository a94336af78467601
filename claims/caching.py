"""
The public page cache.

Views that readers share (lists, claim pages, feeds) are marked with
`cache_public_page`. PublicPageCacheMiddleware stores their finished responses
for anonymous readers and serves them to the next ones without running the
rest of the stack. It sits after the security, CSP and logging middleware, so
the https redirect, the security headers and the log lines of a cached page
are those of the request at hand, not of the one that rendered it.

Every cached page is stored with the version numbers current when it was
rendered, and a page of older versions is rendered afresh, so readers see a
change at once. Versions are bumped after commit:

- a claim's page has the claim's own version (its sources, their captures, its
  verdicts and topics) and the version of what claim pages share (parties,
  ratings, topic names): a capture of one claim's source leaves the pages of
  every other claim in the cache;
- every other page (lists, searches, feeds, sitemaps) has the version of all
  public pages, which any change bumps.

Browsers are told to revalidate (the ETag makes that cheap).

One process renders a page afresh at a time. Readers who ask for it while
that render runs get the copy it replaces, as they would have a moment
earlier, rather than each rendering it again: on a busy desk the version
changes several times a second, and a widely shared page would otherwise be
rendered by every worker at once after each change. If the fresh render is
not a page to cache (the claim went back to draft: 404), the old copy is
dropped with it.

With Redis the version is shared by all processes. In embedded mode the cache
is local memory per process, so a change made by the worker (a finished
capture) reaches the web process only when its cached pages expire
(PUBLIC_CACHE_SECONDS, 60 s by default there).
"""

import contextlib
import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    set_response_etag,
)
from django.utils.translation import get_language_from_path

# Bumped by every change: the version of lists, searches and feeds.
VERSION_KEY = "public-pages:version"
# Bumped by changes that show on every claim page (a party's name, a rating).
SHARED_KEY = "public-pages:shared"
# How long readers may get the old copy of a page whose render has not
# finished (its process died, say) before another process renders it.
RENDERING_SECONDS = 10
logger = logging.getLogger(__name__)


def invalidate_public_pages():
    """Every public page is out of date."""
    bump(VERSION_KEY, SHARED_KEY)


def claims_changed(*slugs):
    """The pages of these claims are out of date, and every list (no slugs:
    the lists only, as after a search refresh). None stands for a claim that
    is gone."""
    bump(VERSION_KEY, *{claim_key(slug) for slug in slugs if slug})


def claims_changed_on_commit(*slugs):
    """claims_changed(*slugs) once the transaction commits, so that no reader
    can cache the old page under the new version."""
    transaction.on_commit(lambda: claims_changed(*slugs))


def claim_key(slug):
    return f"public-pages:claim:{slug}"


def bump(*keys):
    """A cache that is down must not fail the write that triggered this; its
    pages expire after PUBLIC_CACHE_SECONDS anyway."""
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:
                start(key)
    except Exception:
        logger.warning("Cache unreachable; public pages expire on their own.")


def start(key):
    """A version that no page can have been stored with, even if the key was
    evicted or expired: pages stored under earlier versions are rendered
    afresh."""
    cache.add(key, time.time_ns(), timeout=None)


def cache_public_page(view):
    """Mark the view's answers to anonymous readers as cacheable."""

    @functools.wraps(view)
    def marked_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            # What the desk sees (a draft's archived copy, with its playback
            # grant) is for this reader only: no shared cache may keep it.
            patch_cache_control(response, no_cache=True, private=True)
        else:
            response.cache_publicly = True
            patch_cache_control(response, no_cache=True, public=True)
        return response

    return marked_view


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not cacheable(request):
            return self.get_response(request)
        # CommonMiddleware would refuse a Host that is not in ALLOWED_HOSTS
        # (DisallowedHost: 400), but a cached page is served before it runs.
        request.get_host()
        key = page_key(request)
        try:
            page, version, current = cached_page(key, version_keys(request))
            # Taken by the process that renders this version of the page.
            rendering = f"{key}:rendering:{'-'.join(map(str, version))}"
            serve = page is not None and (
                current or not cache.add(rendering, 1, RENDERING_SECONDS)
            )
        except Exception:
            logger.warning("Cache unreachable; serving %s uncached.", request.path)
            return self.get_response(request)
        if serve:
            return get_conditional_response(
                request, etag=page.get("ETag"), response=page
            )
        try:
            response = self.get_response(request)
            if (
                getattr(response, "cache_publicly", False)
                and response.status_code == 200
            ):
                remember(key, version, response)
            elif page is not None:
                forget(key)
        finally:
            if page is not None:
                forget(rendering)
        return response


def cacheable(request):
    """Anonymous GETs: a reader without a session cookie is not logged in."""
    return (
        settings.PUBLIC_CACHE_SECONDS
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def page_language(request):
    """The language as LocaleMiddleware will choose it: from the URL's prefix."""
    return get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def page_key(request):
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"public-page:{page_language(request)}:{path}"


def version_keys(request):
    """The versions the page depends on: its claim's and the shared one for a
    claim page, that of all pages for any other."""
    try:
        with translation.override(page_language(request)):
            match = resolve(request.path_info)
    except Resolver404:
        return [VERSION_KEY]
    if match.view_name == "claims:claim_detail":
        return [SHARED_KEY, claim_key(match.kwargs["slug"])]
    return [VERSION_KEY]


def cached_page(key, version_keys=(VERSION_KEY,)):
    """What is cached under `key` (or None), the current versions, and whether
    what is cached is of those versions. One round trip: values are stored
    with their versions."""
    found = cache.get_many([*version_keys, key])
    missing = [name for name in version_keys if name not in found]
    if missing:
        for name in missing:
            start(name)
        found |= cache.get_many(missing)
    version = tuple(found.get(name) for name in version_keys)
    stored_version, value = found.get(key, (None, None))
    return value, version, stored_version == version


def remembered(name, compute):
    """compute(), done once per version: for figures that every public page
    needs and that change only when claims do (charts, filter choices)."""
    if not settings.PUBLIC_DATA_CACHE_SECONDS:
        return compute()
    key = f"public-data:{name}"
    try:
        value, version, current = cached_page(key)
    except Exception:
        return compute()
    if not current:
        value = compute()
        with contextlib.suppress(Exception):
            cache.set(key, (version, value), settings.PUBLIC_DATA_CACHE_SECONDS)
    return value


def remember(key, version, response):
    if response.streaming:
        return
    # The ETag travels with the cached page, so it is not recomputed per hit.
    set_response_etag(response)
    try:
        cache.set(key, (version, response), settings.PUBLIC_CACHE_SECONDS)
    except Exception:
        logger.warning("Cache unreachable; %s not cached.", key)


def forget(key):
    with contextlib.suppress(Exception):
        cache.delete(key)
