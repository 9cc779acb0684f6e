from django.urls import path

from lucro.enrichment.apis import (
    BatchRetryApi,
    CategorisationRerunApi,
    CategoryListApi,
    RuleDetailApi,
    RuleListCreateApi,
    RuleTestApi,
)

urlpatterns = [
    path("categories/", CategoryListApi.as_view(), name="categories-list"),
    path("rules/", RuleListCreateApi.as_view(), name="rules-list"),
    path("rules/test/", RuleTestApi.as_view(), name="rules-test"),
    path("rules/<str:rule_id>/", RuleDetailApi.as_view(), name="rules-detail"),
    path("batches/<str:batch_id>/retry/", BatchRetryApi.as_view(), name="batch-retry"),
    path("categorisation/rerun/", CategorisationRerunApi.as_view(), name="categorisation-rerun"),
]
