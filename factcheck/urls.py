from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from claims import views
from claims.caching import cache_public_page
from claims.sitemaps import SITEMAPS

handler400 = views.bad_request

urlpatterns = [
    path("api/", include("claims.api")),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("ratings.css", views.ratings_css, name="ratings_css"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        cache_public_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]
# Pages exist in each UI language: English unprefixed, German under /de/.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("claims.urls")),
    prefix_default_language=False,
)
