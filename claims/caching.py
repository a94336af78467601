"""
The public page cache. Every cached page is keyed by a version number; any
change to a claim, source, capture or verdict bumps the version after commit,
so readers see the change at once and old pages simply expire.

With Redis the version is shared by all processes. In embedded mode the cache
is local memory per process, so a change made by the worker (a finished
capture) reaches the web process only when its cached pages expire
(PUBLIC_CACHE_SECONDS, 60 s by default there).
"""

import functools
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.translation import get_language

VERSION_KEY = "public-pages:version"
logger = logging.getLogger(__name__)


def invalidate_public_pages():
    """Bump the version. A cache that is down must not fail the write that
    triggered this; its pages expire after PUBLIC_CACHE_SECONDS anyway."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("Cache unreachable; public pages expire on their own.")


def page_key(request):
    version = cache.get_or_set(VERSION_KEY, 1, timeout=None)
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"public-page:{version}:{get_language()}:{path}"


def cache_public_page(view):
    """Serve anonymous GET requests from the cache; ask browsers to revalidate
    (the ETag makes that cheap)."""

    @functools.wraps(view)
    def cached_view(request, *args, **kwargs):
        if (
            not settings.PUBLIC_CACHE_SECONDS
            or request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
        ):
            return view(request, *args, **kwargs)
        try:
            key = page_key(request)
            response = cache.get(key)
        except Exception:
            logger.warning("Cache unreachable; serving %s uncached.", request.path)
            return view(request, *args, **kwargs)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                store(response, key)
        patch_cache_control(response, no_cache=True, public=True)
        return response

    return cached_view


def store(response, key):
    if isinstance(response, TemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(lambda rendered: remember(key, rendered))
    else:
        remember(key, response)


def remember(key, response):
    # The ETag travels with the cached page, so it is not recomputed per hit.
    set_response_etag(response)
    try:
        cache.set(key, response, settings.PUBLIC_CACHE_SECONDS)
    except Exception:
        logger.warning("Cache unreachable; %s not cached.", key)
