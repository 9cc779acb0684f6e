"""Report and transaction endpoints: parse (``params``), read (``selectors``), answer.

The 200 bodies are documented from the same TypedDicts the selectors return
(``responses.serializer_for``), so the schema is what the code sends.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import (
    CURSOR_PARAM,
    EMPTY_IS_ABSENT,
    FORBIDDEN,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    date_param,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import next_link
from lucro.ingestion.models import CategorySource, IngestionStatus
from lucro.reports import params, responses, selectors, services
from lucro.reports.responses import serializer_for
from lucro.taxonomy.serializers import category_slugs
from lucro.tenancy.authentication import request_organization
from lucro.tenancy.permissions import (
    CanCategorise,
    CanConfigure,
    CanRead,
    by_method,
    request_principal,
)

# --- Reports -----------------------------------------------------------------------------

# Every report takes an inclusive date range (at most REPORT_MAX_RANGE_DAYS long, start not
# after end: rules between two parameters that OpenAPI cannot state, so they answer 400).
_RANGE = [
    date_param("start_date", required=True, description="First day, inclusive."),
    date_param("end_date", required=True, description="Last day, inclusive."),
]


def _choice_param(name: str, choices: tuple[str, ...], default: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        enum=list(choices),
        default=default,
        description=f"{what}; default {default}.",
        extensions=EMPTY_IS_ABSENT,
    )


_LEVEL = _choice_param("level", params.LEVELS, "primary", "Group by primary or detailed category")
_CURRENCY = OpenApiParameter(
    "currency",
    str,
    pattern="^[A-Z]{3}$",
    description="ISO 4217: report in this currency, each day converted at that day's rate "
    "(default: the account's own; for the organization, its base currency). Rows of a day "
    "without a rate are listed under `unconverted`, never dropped.",
    extensions=EMPTY_IS_ABSENT,
)
_ERRORS = {
    400: problem(
        "Missing or malformed dates, start after end, range too long, an unknown level/interval"
    ),
    401: UNAUTHORIZED,
    404: problem("No such account (or another organization's)"),
}


class AccountSummaryApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_summary",
        parameters=[*_RANGE, _LEVEL, _CURRENCY],
        responses={200: serializer_for(responses.AccountSummary), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params)
        return Response(
            selectors.account_summary(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
                currency=params.parse_currency(request.query_params),
            )
        )


class AccountCategoriesApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_categories",
        parameters=[
            *_RANGE,
            _choice_param(
                "level", params.LEVELS, "detailed", "Group by detailed or primary category"
            ),
            _CURRENCY,
        ],
        responses={200: serializer_for(responses.CategoryBreakdown), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params, default="detailed")
        return Response(
            selectors.account_categories(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
                currency=params.parse_currency(request.query_params),
            )
        )


class AccountTimeseriesApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_timeseries",
        parameters=[
            *_RANGE,
            _choice_param("interval", params.INTERVALS, "day", "Period length"),
            _CURRENCY,
        ],
        responses={200: serializer_for(responses.Timeseries), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        interval = params.parse_interval(request.query_params)
        return Response(
            selectors.account_timeseries(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                interval=interval,
                currency=params.parse_currency(request.query_params),
            )
        )


class OrganizationSummaryApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="organization_summary",
        parameters=[*_RANGE, _LEVEL, _CURRENCY],
        responses={
            200: serializer_for(responses.OrganizationSummary),
            400: _ERRORS[400],
            401: _ERRORS[401],
        },
    )
    def get(self, request: Request) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params)
        return Response(
            selectors.organization_summary(
                organization=request_organization(request),
                span=span,
                level=level,
                currency=params.parse_currency(request.query_params),
            )
        )


# --- Accounts ----------------------------------------------------------------------------

_DELETED_PARAM = OpenApiParameter(
    "deleted",
    str,
    enum=["true", "false"],
    default="false",
    description="true: list the deleted (restorable) ones instead of the live ones.",
)
ACCOUNT_ID = OpenApiParameter(
    "account_id", str, OpenApiParameter.PATH, description="The account's external id."
)
NO_ACCOUNT = problem("No such account (or another organization's, or deleted)")
ACCOUNT = serializer_for(responses.Account)


class AccountListApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_list",
        parameters=[_DELETED_PARAM, LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: serializer_for(responses.AccountPage),
            400: problem("A malformed deleted switch, limit or cursor"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        deleted, page_params = params.parse_account_list(request.query_params)
        page = selectors.account_list(
            organization=request_organization(request), deleted=deleted, page=page_params
        )
        body: responses.AccountPage = {
            "results": page.results,
            "next": next_link(request, page.next_cursor),
        }
        return Response(body)


class AccountDetailApi(APIView):
    permission_classes = [by_method(GET=CanRead, DELETE=CanConfigure)]

    @extend_schema(
        operation_id="account_detail",
        parameters=[ACCOUNT_ID],
        responses={200: ACCOUNT, 401: UNAUTHORIZED, 404: NO_ACCOUNT},
    )
    def get(self, request: Request, account_id: str) -> Response:
        return Response(
            selectors.account_detail(
                organization=request_organization(request), account_id=account_id
            )
        )

    @extend_schema(
        operation_id="account_delete",
        parameters=[ACCOUNT_ID],
        description="Soft-delete the account and its transactions (restorable for "
        "SOFT_DELETE_RETENTION_DAYS).",
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_ACCOUNT},
    )
    def delete(self, request: Request, account_id: str) -> Response:
        services.account_remove(actor=request_principal(request), account_id=account_id)
        return Response(status=204)


class AccountRestoreApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="account_restore",
        request=None,
        parameters=[ACCOUNT_ID],
        description="Bring back a deleted account with the transactions deleted with it. "
        "A live account is answered as it is.",
        responses={
            200: ACCOUNT,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No such account, or deleted longer ago than the retention"),
        },
    )
    def post(self, request: Request, account_id: str) -> Response:
        principal = request_principal(request)
        services.account_bring_back(actor=principal, account_id=account_id)
        return Response(
            selectors.account_detail(organization=principal.organization, account_id=account_id)
        )


# --- Transactions ------------------------------------------------------------------------

_LIST_PARAMS = [
    OpenApiParameter("account_id", str, description="The account's external id."),
    date_param("start_date", required=False, description="First day, inclusive."),
    date_param("end_date", required=False, description="Last day, inclusive."),
    OpenApiParameter(
        "category",
        str,
        enum=category_slugs(),
        description="A category slug; a primary slug matches its detailed categories too.",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter("status", str, enum=IngestionStatus.values),
    OpenApiParameter(
        "source", str, enum=CategorySource.values, description="How the category was set."
    ),
    OpenApiParameter(
        "min_amount",
        OpenApiTypes.NUMBER,
        description="Signed decimal (negative = money out).",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter(
        "max_amount", OpenApiTypes.NUMBER, description="Signed decimal.", extensions=EMPTY_IS_ABSENT
    ),
    OpenApiParameter("search", str, description="Substring of description or merchant."),
    _DELETED_PARAM,
    LIMIT_PARAM,
    CURSOR_PARAM,
]
TRANSACTION_PK = uuid_path_param("transaction_pk", "The transaction's Lucro id (its `id`).")
NO_TRANSACTION = problem("No such transaction (or another organization's)")
TRANSACTION = serializer_for(responses.Transaction)


class TransactionListApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="transaction_list",
        parameters=_LIST_PARAMS,
        responses={
            200: serializer_for(responses.TransactionPage),
            400: problem("A malformed or unknown filter value, limit or cursor"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        filters, page_params = params.parse_transaction_list(request.query_params)
        page = selectors.transaction_list(
            organization=request_organization(request), filters=filters, page=page_params
        )
        body: responses.TransactionPage = {
            "results": page.results,
            "next": next_link(request, page.next_cursor),
        }
        return Response(body)


class TransactionDetailApi(APIView):
    permission_classes = [by_method(GET=CanRead, PATCH=CanCategorise, DELETE=CanConfigure)]

    @extend_schema(
        operation_id="transaction_detail",
        parameters=[TRANSACTION_PK],
        responses={200: TRANSACTION, 401: UNAUTHORIZED, 404: NO_TRANSACTION},
    )
    def get(self, request: Request, transaction_pk: str) -> Response:
        return Response(
            selectors.transaction_get(
                organization=request_organization(request), transaction_pk=transaction_pk
            )
        )

    @extend_schema(
        operation_id="transaction_categorise",
        request=params.CategoryPatchSerializer,
        parameters=[TRANSACTION_PK],
        responses={
            200: TRANSACTION,
            400: problem("Malformed JSON, no category, or an unknown one"),
            401: UNAUTHORIZED,
            404: NO_TRANSACTION,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, transaction_pk: str) -> Response:
        principal = request_principal(request)
        organization = principal.organization
        services.transaction_category_change(
            actor=principal,
            transaction_pk=transaction_pk,
            category_slug=params.parse_category_patch(request.data),
        )
        return Response(
            selectors.transaction_get(organization=organization, transaction_pk=transaction_pk)
        )

    @extend_schema(
        operation_id="transaction_delete",
        parameters=[TRANSACTION_PK],
        description="Soft-delete the transaction (restorable for SOFT_DELETE_RETENTION_DAYS).",
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_TRANSACTION},
    )
    def delete(self, request: Request, transaction_pk: str) -> Response:
        services.transaction_remove(actor=request_principal(request), transaction_pk=transaction_pk)
        return Response(status=204)


class TransactionRestoreApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="transaction_restore",
        request=None,
        parameters=[TRANSACTION_PK],
        description="Bring back a transaction deleted on its own (one deleted with its account "
        "comes back with the account). A live transaction is answered as it is.",
        responses={
            200: TRANSACTION,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No such transaction, or deleted longer ago than the retention"),
        },
    )
    def post(self, request: Request, transaction_pk: str) -> Response:
        principal = request_principal(request)
        services.transaction_bring_back(actor=principal, transaction_pk=transaction_pk)
        return Response(
            selectors.transaction_get(
                organization=principal.organization, transaction_pk=transaction_pk
            )
        )
