from auditlog.middleware import AuditlogMiddleware
from django.conf import settings

from factcheck.client_ip import client_ip


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


class AuditActorMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, which ties log entries to the acting user.

    It is skipped for anonymous reads, which write nothing (it connects a signal
    receiver per request), and it takes the client address the way the login
    throttle does, so a forged X-Forwarded-For cannot put a false address in
    the audit trail.
    """

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and not request.user.is_authenticated:
            return self.get_response(request)
        return super().__call__(request)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)
