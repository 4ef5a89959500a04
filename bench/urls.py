"""The console's URLs plus ``POST /bench/bare``: the same Django stack, reading the body and inserting one
row in autocommit, nothing else. It is the baseline the webhook endpoint is measured against."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from opsconsole.urls import urlpatterns as console_urlpatterns


@csrf_exempt
@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [request.body])
    return HttpResponse(b'{"status": "stored"}', content_type="application/json")


urlpatterns = [*console_urlpatterns, path("bench/bare", bare)]
