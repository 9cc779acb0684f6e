from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lucro.ops.apis import HealthApi, LivenessApi, metrics_view

urlpatterns = [
    path("api/health/", HealthApi.as_view(), name="health"),
    path("api/live/", LivenessApi.as_view(), name="live"),
    path("metrics", metrics_view, name="metrics"),
    # The schema and the docs are never rate-limited, even when a key comes with the request.
    path("api/v1/schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", throttle_classes=[]),
        name="docs",
    ),
]
