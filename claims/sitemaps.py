"""The sitemap: an index (/sitemap.xml) of section pages, each with at most
`limit` items, every item in both languages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from .models import Claim


class SiteSitemap(Sitemap):
    """URLs on SITE_URL, not on the request's Host: sitemaps are cached once
    for every host."""

    i18n = True
    alternates = True

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ClaimSitemap(SiteSitemap):
    x_default = True
    # Items, each listed in both languages: 10,000 URLs a page.
    limit = 5000

    def items(self):
        return Claim.objects.public().only("slug", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at

    def get_latest_lastmod(self):
        # For the index: one query rather than every claim loaded.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class ListSitemap(SiteSitemap):
    changefreq = "hourly"

    def items(self):
        return ["claims:claim_list"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"claims": ClaimSitemap, "lists": ListSitemap}
