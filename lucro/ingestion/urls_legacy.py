"""Aliases at the unversioned paths of the original assignment."""

from django.urls import path

from lucro.ingestion.apis import IngestTransactionsApi

urlpatterns = [
    path(
        "integrations/transactions/",
        IngestTransactionsApi.as_view(),
        name="ingest-transactions-legacy",
    ),
]
