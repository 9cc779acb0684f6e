from django.urls import path

from lucro.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("accounts/<str:account_id>/", views.account, name="account"),
    path("transactions/<str:pk>/category/", views.transaction_category, name="category"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/<str:budget_id>/edit/", views.budget_edit, name="budget_edit"),
    path("alerts/<str:alert_id>/read/", views.alert_read, name="alert_read"),
    path("batches/", views.batches, name="batches"),
    path("batches/<str:batch_id>/retry/", views.batch_retry, name="batch_retry"),
]
