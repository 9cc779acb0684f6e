"""People, tokens and keys over REST (SPEC §9): login, refresh, logout, me, users, API keys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from lucro.core.openapi import (
    CURSOR_PARAM,
    FORBIDDEN,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    location_header,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import paginate
from lucro.tenancy import selectors, services, tokens
from lucro.tenancy.models import ApiKey, Membership
from lucro.tenancy.permissions import CanManage, IsMember, by_method, request_principal
from lucro.tenancy.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyInSerializer,
    ApiKeyListOutSerializer,
    ApiKeyOutSerializer,
    MeOutSerializer,
    OrganizationOutSerializer,
    OrganizationPatchSerializer,
    RefreshInSerializer,
    RefreshOutSerializer,
    TokenInSerializer,
    TokenOutSerializer,
    UserInSerializer,
    UserListOutSerializer,
    UserOutSerializer,
    UserPatchSerializer,
)
from lucro.tenancy.throttling import LoginThrottle, RefreshThrottle

INVALID = problem("Invalid request")
LAST_OWNER = problem("The change would leave the organization without an owner")
BAD_LOGIN = problem("Wrong email or password (the same answer whether the email exists or not)")
BAD_REFRESH = problem(
    "The refresh token is invalid, expired, already used or revoked (a used one also "
    "revokes every refresh token of that user in that organization)"
)
USER_ID = uuid_path_param("user_id", "The user's id in this organization.")
KEY_ID = uuid_path_param("key_id", "The API key's id.")


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


class TokenApi(APIView):
    """Log in with email and password: an access token and a refresh token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        operation_id="auth_token",
        request=TokenInSerializer,
        responses={200: TokenOutSerializer, 400: INVALID, 401: BAD_LOGIN, 415: NOT_JSON},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = tokens.login(**data.validated_data)
        except tokens.LoginFailed as exc:
            raise _unauthorized("The email or the password is wrong.") from exc
        except tokens.OrganizationAmbiguous as exc:
            raise ValidationFailed(
                exc.message, errors=[{"pointer": "/organization", "detail": exc.message}]
            ) from exc
        organization = session.membership.organization
        return Response(
            {
                "access": session.access,
                "refresh": session.refresh,
                "organization": {"id": organization.id, "name": organization.name},
                "role": session.membership.role,
            }
        )


class TokenRefreshApi(APIView):
    """Trade a refresh token for a new pair; the one presented is spent."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [RefreshThrottle]

    @extend_schema(
        operation_id="auth_token_refresh",
        request=RefreshInSerializer,
        responses={200: RefreshOutSerializer, 400: INVALID, 401: BAD_REFRESH, 415: NOT_JSON},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = tokens.refresh(raw=data.validated_data["refresh"])
        except tokens.RefreshRejected as exc:
            raise _unauthorized("The refresh token is invalid, expired, used or revoked.") from exc
        return Response({"access": session.access, "refresh": session.refresh})


class LogoutApi(APIView):
    """End a session: the refresh token given is revoked (the access token expires soon)."""

    permission_classes = [IsMember]

    @extend_schema(
        operation_id="auth_logout",
        request=RefreshInSerializer,
        responses={204: None, 400: INVALID, 401: BAD_REFRESH, 403: FORBIDDEN, 415: NOT_JSON},
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        if principal.user is None:
            raise Forbidden("Log out with the user's access token, not an API key.")
        data = RefreshInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tokens.logout(
                user_id=principal.user.pk,
                organization_id=principal.organization.pk,
                raw=data.validated_data["refresh"],
            )
        except tokens.RefreshRejected as exc:
            raise _unauthorized("The refresh token is invalid or not this user's.") from exc
        return Response(status=204)


class MeApi(APIView):
    """Who the caller is: a user (with role) or an API key (with scopes), and where."""

    permission_classes = [IsMember]

    @extend_schema(operation_id="me", responses={200: MeOutSerializer, 401: UNAUTHORIZED})
    def get(self, request: Request) -> Response:
        return Response(MeOutSerializer(selectors.me(principal=request_principal(request))).data)


class UserListCreateApi(APIView):
    permission_classes = [by_method(GET=CanManage, POST=CanManage)]

    @extend_schema(
        operation_id="users_list",
        parameters=[LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: UserListOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        members = selectors.members(organization=request_principal(request).organization)
        page, next_url = paginate(request, members)
        return Response({"results": UserOutSerializer(page, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="users_create",
        request=UserInSerializer,
        parameters=[location_header(201, "The new member's URL.")],
        responses={
            201: UserOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            409: problem("Already a member of this organization"),
            415: NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = UserInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.user_create(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        membership = created.membership
        return Response(
            UserOutSerializer(membership).data,
            status=201,
            headers={"Location": f"/api/v1/users/{membership.pk}/"},
        )


def _member(request: Request, user_id: str) -> Membership:
    membership = selectors.member_get(
        organization=request_principal(request).organization, member_id=user_id
    )
    if membership is None:
        raise NotFound("No such user in this organization.")
    return membership


class UserDetailApi(APIView):
    permission_classes = [by_method(GET=CanManage, PATCH=CanManage, DELETE=CanManage)]

    @extend_schema(
        operation_id="users_get",
        parameters=[USER_ID],
        responses={
            200: UserOutSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No such user"),
        },
    )
    def get(self, request: Request, user_id: str) -> Response:
        return Response(UserOutSerializer(_member(request, user_id)).data)

    @extend_schema(
        operation_id="users_update",
        parameters=[USER_ID],
        request=UserPatchSerializer,
        responses={
            200: UserOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No such user"),
            409: LAST_OWNER,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, user_id: str) -> Response:
        membership = _member(request, user_id)
        data = UserPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.user_update(
            membership=membership, changes=data.validated_data, actor=request_principal(request)
        )
        return Response(UserOutSerializer(membership).data)

    @extend_schema(
        operation_id="users_remove",
        parameters=[USER_ID],
        responses={
            204: None,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No such user"),
            409: LAST_OWNER,
        },
    )
    def delete(self, request: Request, user_id: str) -> Response:
        services.user_remove(membership=_member(request, user_id), actor=request_principal(request))
        return Response(status=204)


class ApiKeyListCreateApi(APIView):
    permission_classes = [by_method(GET=CanManage, POST=CanManage)]

    @extend_schema(
        operation_id="api_keys_list",
        parameters=[LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: ApiKeyListOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        keys = selectors.api_keys(organization=request_principal(request).organization)
        page, next_url = paginate(request, keys)
        return Response({"results": ApiKeyOutSerializer(page, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="api_keys_create",
        request=ApiKeyInSerializer,
        parameters=[location_header(201, "The new key's URL.")],
        responses={
            201: ApiKeyCreatedSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            415: NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = ApiKeyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.api_key_create(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        body = dict(ApiKeyOutSerializer(created.api_key).data)
        body["key"] = created.raw_key
        return Response(
            body, status=201, headers={"Location": f"/api/v1/api-keys/{created.api_key.pk}/"}
        )


class ApiKeyDetailApi(APIView):
    permission_classes = [by_method(DELETE=CanManage)]

    @extend_schema(
        operation_id="api_keys_revoke",
        parameters=[KEY_ID],
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: problem("No such key")},
    )
    def delete(self, request: Request, key_id: str) -> Response:
        api_key: ApiKey | None = selectors.api_key_get(
            organization=request_principal(request).organization, key_id=key_id
        )
        if api_key is None:
            raise NotFound("No such API key in this organization.")
        services.api_key_revoke(api_key=api_key, actor=request_principal(request))
        return Response(status=204)


class OrganizationApi(APIView):
    """The caller's organization: every member and key reads it, owners and admins change it."""

    permission_classes = [by_method(GET=IsMember, PATCH=CanManage)]

    @extend_schema(
        operation_id="organization_get",
        responses={200: OrganizationOutSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request: Request) -> Response:
        return Response(OrganizationOutSerializer(request_principal(request).organization).data)

    @extend_schema(
        operation_id="organization_update",
        request=OrganizationPatchSerializer,
        responses={
            200: OrganizationOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request) -> Response:
        principal = request_principal(request)
        data = OrganizationPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(
            organization=principal.organization, changes=data.validated_data, actor=principal
        )
        return Response(OrganizationOutSerializer(organization).data)
