from django.urls import path

from lucro.budgets.apis import (
    AlertListApi,
    AlertReadApi,
    BudgetDetailApi,
    BudgetListCreateApi,
    BudgetStatusApi,
)

urlpatterns = [
    path("budgets/", BudgetListCreateApi.as_view(), name="budgets"),
    path("budgets/<str:budget_id>/", BudgetDetailApi.as_view(), name="budget-detail"),
    path("budgets/<str:budget_id>/status/", BudgetStatusApi.as_view(), name="budget-status"),
    path("alerts/", AlertListApi.as_view(), name="alerts"),
    path("alerts/<str:alert_id>/read/", AlertReadApi.as_view(), name="alert-read"),
]
