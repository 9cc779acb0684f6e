from django.apps import AppConfig


class GraphqlApiConfig(AppConfig):
    name = "lucro.graphql_api"
    label = "graphql_api"
    verbose_name = "GraphQL API"
