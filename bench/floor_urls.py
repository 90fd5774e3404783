"""The product's URLs, and a page for bench/pages.py alone: the signed-in floor.

It goes through every middleware a page goes through (the session, the person
and their second factor, the sign-in limits) and reads nothing more.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("agency.urls")),
]
