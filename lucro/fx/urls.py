from django.urls import path

from lucro.fx.apis import ExchangeRatesApi

urlpatterns = [
    path("exchange-rates/", ExchangeRatesApi.as_view(), name="exchange-rates"),
]
