from django.contrib import admin
from django.urls import include, path

api_v1 = [
    path("", include("lucro.tenancy.urls")),
    path("", include("lucro.ingestion.urls")),
    path("", include("lucro.enrichment.urls")),
    path("", include("lucro.reports.urls")),
    path("", include("lucro.audit.urls")),
    path("", include("lucro.fx.urls")),
    path("", include("lucro.webhooks.urls")),
    path("", include("lucro.budgets.urls")),
    path("", include("lucro.graphql_api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # The web dashboard for people (SPEC §15).
    path("app/", include("lucro.dashboard.urls")),
    path("api/v1/", include(api_v1)),
    # The unversioned paths existing integrations already use.
    path("api/", include("lucro.ingestion.urls_legacy")),
    path("api/", include("lucro.reports.urls_legacy")),
    # Health, liveness, metrics, schema and docs.
    path("", include("lucro.ops.urls")),
]

handler400 = "lucro.core.views.bad_request"
handler403 = "lucro.core.views.permission_denied"
handler404 = "lucro.core.views.not_found"
handler500 = "lucro.core.views.server_error"
