"""One page per work queue (site.queues): /da-fare/<code>/, named by the queue."""

from django.urls import path

from . import views
from .queues import QUEUES

app_name = "queues"

urlpatterns = [
    path(f"{queue.code}/", views.queue, {"code": queue.code}, name=queue.url_name)
    for queue in QUEUES
]
