"""Aliases at the unversioned paths of the original assignment."""

from django.urls import path

from lucro.reports.apis import AccountSummaryApi

urlpatterns = [
    path(
        "reports/account/<str:account_id>/summary/",
        AccountSummaryApi.as_view(),
        name="account-summary-legacy",
    ),
    # Without the slash too: existing callers use it, and a redirect would cost a round trip.
    path(
        "reports/account/<str:account_id>/summary",
        AccountSummaryApi.as_view(),
        name="account-summary-legacy-noslash",
    ),
]
