"""One router for /api/v1/: each app registers its viewsets in ``<app>/api.py`` via ``register(router)``."""

from rest_framework.routers import DefaultRouter

import campaigns.api
import members.api
import newsletters.api

router = DefaultRouter()
members.api.register(router)
campaigns.api.register(router)
newsletters.api.register(router)

urlpatterns = (
    router.urls
    + members.api.extra_urlpatterns
    + campaigns.api.extra_urlpatterns
    + (newsletters.api.extra_urlpatterns)
)
