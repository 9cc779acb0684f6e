from django.urls import path

from lucro.reports.apis import (
    AccountCategoriesApi,
    AccountSummaryApi,
    AccountTimeseriesApi,
    OrganizationSummaryApi,
    TransactionDetailApi,
    TransactionListApi,
)

urlpatterns = [
    path("reports/summary/", OrganizationSummaryApi.as_view(), name="organization-summary"),
    path(
        "reports/accounts/<str:account_id>/summary/",
        AccountSummaryApi.as_view(),
        name="account-summary",
    ),
    path(
        "reports/accounts/<str:account_id>/categories/",
        AccountCategoriesApi.as_view(),
        name="account-categories",
    ),
    path(
        "reports/accounts/<str:account_id>/timeseries/",
        AccountTimeseriesApi.as_view(),
        name="account-timeseries",
    ),
    path("transactions/", TransactionListApi.as_view(), name="transaction-list"),
    path(
        "transactions/<str:transaction_pk>/",
        TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
]
