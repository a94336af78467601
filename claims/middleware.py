from django.conf import settings


class AdminContentSecurityPolicy:
    """Django's admin widgets set inline styles, so the admin gets a policy that
    allows them; scripts there stay limited to our own files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and "admin" in match.namespaces:
            response._csp_config = settings.ADMIN_CSP
        return response
