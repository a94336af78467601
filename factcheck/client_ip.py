"""The client's real address, behind a known number of reverse proxies.

Each proxy appends the address it received the connection from to
X-Forwarded-For, so behind TRUSTED_PROXY_COUNT proxies the client is the entry
the outermost one appended, counted from the right; whatever stands to its left
was written by the client and is ignored. Written by hand because ipware's
proxy_count expects proxies to list their own addresses, which nginx and most
load balancers do not.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    forwarded = [address.strip() for address in forwarded if address.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
