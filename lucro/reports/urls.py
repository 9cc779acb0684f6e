from django.urls import path

from lucro.reports.apis import (
    AccountCategoriesApi,
    AccountDetailApi,
    AccountListApi,
    AccountRestoreApi,
    AccountSummaryApi,
    AccountTimeseriesApi,
    OrganizationSummaryApi,
    TransactionDetailApi,
    TransactionListApi,
    TransactionRestoreApi,
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
    path("accounts/", AccountListApi.as_view(), name="account-list"),
    path("accounts/<str:account_id>/", AccountDetailApi.as_view(), name="account-detail"),
    path(
        "accounts/<str:account_id>/restore/",
        AccountRestoreApi.as_view(),
        name="account-restore",
    ),
    path("transactions/", TransactionListApi.as_view(), name="transaction-list"),
    path(
        "transactions/<str:transaction_pk>/",
        TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
    path(
        "transactions/<str:transaction_pk>/restore/",
        TransactionRestoreApi.as_view(),
        name="transaction-restore",
    ),
]
