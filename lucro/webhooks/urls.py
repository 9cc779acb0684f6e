from django.urls import path

from lucro.webhooks.apis import (
    WebhookDeliveriesApi,
    WebhookDetailApi,
    WebhookListCreateApi,
    WebhookRedeliverApi,
    WebhookRotateSecretApi,
    WebhookTestApi,
)

urlpatterns = [
    path("webhooks/", WebhookListCreateApi.as_view(), name="webhooks-list"),
    path("webhooks/<str:endpoint_id>/", WebhookDetailApi.as_view(), name="webhooks-detail"),
    path(
        "webhooks/<str:endpoint_id>/rotate-secret/",
        WebhookRotateSecretApi.as_view(),
        name="webhooks-rotate-secret",
    ),
    path("webhooks/<str:endpoint_id>/test/", WebhookTestApi.as_view(), name="webhooks-test"),
    path(
        "webhooks/<str:endpoint_id>/deliveries/",
        WebhookDeliveriesApi.as_view(),
        name="webhooks-deliveries",
    ),
    path(
        "webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/redeliver/",
        WebhookRedeliverApi.as_view(),
        name="webhooks-redeliver",
    ),
]
