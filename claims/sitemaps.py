from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Claim


class ClaimSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    limit = 5000

    def items(self):
        return Claim.objects.public().only("slug", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at


class ListSitemap(Sitemap):
    i18n = True
    alternates = True
    changefreq = "hourly"

    def items(self):
        return ["claims:claim_list"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"claims": ClaimSitemap, "lists": ListSitemap}
