"""Response headers Django's SecurityMiddleware does not set.

``Permissions-Policy`` switches off browser features no Nurture page uses (camera,
microphone, location…). ``Cache-Control: no-store`` goes on every page the server builds
— staff pages carry names, contacts and answers; survey pages carry a mother's answers —
so nothing is kept in a browser's or a proxy's cache to be read after logout on a shared
computer. Static files (stylesheets, scripts) keep their own caching.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if not request.path_info.startswith(settings.STATIC_URL):
            if "Cache-Control" in response:
                # never_cache and friends say max-age=0, no-cache…; no-store is what keeps a page off the disk
                patch_cache_control(response, no_store=True, private=True)
            else:
                response["Cache-Control"] = "no-store, private"
            response.setdefault("Pragma", "no-cache")
        return response
