"""The real client behind a reverse proxy, believed only from the proxies the site names.

A reverse proxy (Caddy, nginx, a load balancer) connects to Nurture itself, so the
connecting address is the proxy's and the scheme is plain HTTP. It says who the client
was and how she connected in ``X-Forwarded-For`` and ``X-Forwarded-Proto``. Those
headers are believed only when the connection comes from an address listed in
``NURTURE_TRUSTED_PROXIES``; from anyone else they are removed before any other code
sees them, so a client cannot pick her own address (to dodge a throttle or forge the
audit log) or claim HTTPS.

Everything downstream — throttles, login lockout (django-axes), the audit log, HTTPS
detection for secure cookies, HSTS and the redirect — reads ``REMOTE_ADDR`` and the
request scheme as this middleware leaves them. It lives in Django, not in the WSGI
server, so it holds whatever server runs the app.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                      "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
PEER = "NURTURE_PEER_ADDR"  # the address that actually connected (the proxy's, behind one)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted(address) -> bool:
    ip = address if not isinstance(address, str) else _ip(address)
    if ip is None:
        return False
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def forwarded_client(peer: str, forwarded_for: str) -> str:
    """The client address from an ``X-Forwarded-For`` chain received from the trusted ``peer``.

    Each proxy appends the address it received the request from, so the chain is read
    from the right: the first address that is not a trusted proxy is the client (those
    to its left were written by the client herself and prove nothing).
    """
    chain = [_ip(part) for part in forwarded_for.split(",") if part.strip()]
    if not chain or any(ip is None for ip in chain):
        return peer  # a malformed chain proves nothing: keep the proxy's address
    for ip in reversed(chain):
        if not is_trusted(ip):
            return str(ip)
    return str(chain[0])


class TrustedProxyMiddleware:
    """Set ``REMOTE_ADDR`` and the scheme from a trusted proxy's headers; drop them from anyone else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta[PEER] = peer
        if settings.TRUSTED_PROXIES and is_trusted(peer):
            forwarded_for = meta.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded_for:
                meta["REMOTE_ADDR"] = forwarded_client(peer, forwarded_for)
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                meta["wsgi.url_scheme"] = proto
        else:
            for header in FORWARDING_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address (resolved by :class:`TrustedProxyMiddleware`)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def client_key(request) -> str | None:
    """The address throttles and lockouts count by: the client's IPv4 address, or her
    IPv6 /64 network (one household or phone holds a whole /64 and can move within it)."""
    address = client_ip(request)
    ip = _ip(address) if address else None
    if ip is None:
        return address
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        return str(mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
