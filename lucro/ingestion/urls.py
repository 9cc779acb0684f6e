from django.urls import path

from lucro.ingestion.apis import BatchDetailApi, IngestTransactionsApi

urlpatterns = [
    path("integrations/transactions/", IngestTransactionsApi.as_view(), name="ingest-transactions"),
    path("batches/<str:batch_id>/", BatchDetailApi.as_view(), name="batch-detail"),
]
