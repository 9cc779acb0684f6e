from django.urls import path

from lucro.tenancy.apis import (
    ApiKeyDetailApi,
    ApiKeyListCreateApi,
    LogoutApi,
    MeApi,
    OrganizationApi,
    TokenApi,
    TokenRefreshApi,
    UserDetailApi,
    UserListCreateApi,
)

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("me/", MeApi.as_view(), name="me"),
    path("organization/", OrganizationApi.as_view(), name="organization"),
    path("users/", UserListCreateApi.as_view(), name="users-list"),
    path("users/<str:user_id>/", UserDetailApi.as_view(), name="users-detail"),
    path("api-keys/", ApiKeyListCreateApi.as_view(), name="api-keys-list"),
    path("api-keys/<str:key_id>/", ApiKeyDetailApi.as_view(), name="api-keys-detail"),
]
