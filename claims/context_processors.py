from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def site(request):
    """Site name, and the current page in each UI language for the switch."""
    current = get_language()
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "language_links": [
            {
                "code": code,
                "name": name,
                "url": translate_url(request.get_full_path(), code),
                "active": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
    }
