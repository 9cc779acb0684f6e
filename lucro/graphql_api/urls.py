from django.urls import path

from lucro.graphql_api.apis import GraphQLApi

urlpatterns = [
    path("graphql/", GraphQLApi.as_view(), name="graphql"),
]
