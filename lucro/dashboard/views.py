"""The dashboard's pages (SPEC §15): thin views over ``pages`` (reads) and the API's
services (writes). ``member_page`` decides who may see each one, as the API's permissions
do; htmx requests get the part of a page they asked for, other requests the whole page.
"""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from lucro.budgets import selectors as budget_selectors
from lucro.budgets import services as budget_services
from lucro.core.ratelimit import RateLimited
from lucro.dashboard import pages
from lucro.dashboard.access import SESSION_ORGANIZATION, error_page, member_page, navigation
from lucro.dashboard.forms import BudgetForm, CategoryForm, LoginForm
from lucro.enrichment import services as enrichment_services
from lucro.ingestion.selectors import batch_get
from lucro.reports import selectors as report_selectors
from lucro.reports import services as report_services
from lucro.taxonomy.selectors import categories_list
from lucro.tenancy import tokens
from lucro.tenancy.principal import Capability, Principal
from lucro.tenancy.throttling import login_attempt_count


def _page(
    request: HttpRequest, principal: Principal, template: str, **context: object
) -> HttpResponse:
    return render(request, f"dashboard/{template}", {**navigation(principal), **context})


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect (303) to the ``next`` the form came from, if it is ours, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return redirect(target if safe else fallback, permanent=False)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST":
        try:
            # Every attempt counts, valid or not, against the API's own login limits.
            login_attempt_count(request, request.POST.get("email"))
        except RateLimited as exc:
            return error_page(request, 429, exc.detail, **exc.headers)
        if form.is_valid():
            try:
                membership = tokens.member_authenticate(**form.cleaned_data)
            except tokens.LoginFailed:
                form.add_error(None, "The email or the password is wrong.")
            except tokens.OrganizationAmbiguous as exc:
                form.add_error("organization", exc.message)
            else:
                auth.login(request, membership.user)  # a new session id (no fixation)
                request.session[SESSION_ORGANIZATION] = str(membership.organization_id)
                tokens.login_record(membership=membership)
                return _back(request, reverse("dashboard:overview"))
    return render(
        request,
        "dashboard/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("dashboard:login")


@member_page()
def overview(request: HttpRequest, principal: Principal) -> HttpResponse:
    return _page(
        request, principal, "overview.html", **pages.overview(principal, timezone.now().date())
    )


@member_page()
def account(request: HttpRequest, principal: Principal, account_id: str) -> HttpResponse:
    span = pages.parse_range(request.GET, timezone.now().date())
    detail = report_selectors.account_detail(
        organization=principal.organization, account_id=account_id
    )
    context = {"account": detail, "span": span, "query": request.GET}
    target = request.headers.get("HX-Target") if getattr(request, "htmx", False) else None
    if target == "transactions":
        context |= pages.transactions(principal, account_id, span, request.GET)
        return _page(request, principal, "_transactions.html", **context)
    context |= pages.account_reports(principal, account_id, span)
    if target == "reports":
        return _page(request, principal, "_reports.html", **context)
    context |= pages.transactions(principal, account_id, span, request.GET)
    return _page(request, principal, "account.html", **context, **pages.filter_choices())


@member_page(Capability.CATEGORISE)
@require_http_methods(["GET", "POST"])
def transaction_category(request: HttpRequest, principal: Principal, pk: str) -> HttpResponse:
    organization = principal.organization
    txn = report_selectors.transaction_get(organization=organization, transaction_pk=pk)
    form = CategoryForm(
        request.POST or None,
        categories=list(categories_list()),
        initial={"category": txn["category"]["slug"] if txn["category"] else ""},
    )
    if request.method == "POST" and form.is_valid():
        # The same service as PATCH /api/v1/transactions/<id>/: a manual category, audited,
        # the reports invalidated, and the learned enricher taught.
        report_services.transaction_category_change(
            actor=principal, transaction_pk=pk, category_slug=form.cleaned_data["category"] or None
        )
        txn = report_selectors.transaction_get(organization=organization, transaction_pk=pk)
        if getattr(request, "htmx", False):
            response = _page(request, principal, "_row.html", t=txn)
            response.headers["HX-Trigger"] = "lucro:categorised"
            return response
        messages.success(request, f"Category of {txn['transaction_id']} saved.")
        return _back(request, reverse("dashboard:account", args=[txn["account_id"]]))
    template = "_category_form.html" if getattr(request, "htmx", False) else "category.html"
    status = 400 if form.errors else 200
    response = _page(
        request, principal, template, t=txn, form=form, next=request.GET.get("next", "")
    )
    response.status_code = status
    return response


def _budget_form(request: HttpRequest, principal: Principal, budget: object = None) -> BudgetForm:
    accounts = pages.account_ids(principal)
    return BudgetForm(
        request.POST if request.method == "POST" else None,
        organization=principal.organization,
        categories=list(categories_list()),
        account_ids=accounts,
        budget=budget,  # type: ignore[arg-type]
    )


@member_page()
@require_http_methods(["GET", "POST"])
def budgets(request: HttpRequest, principal: Principal) -> HttpResponse:
    form = None
    if principal.can(Capability.CONFIGURE):
        form = _budget_form(request, principal)
    if request.method == "POST":
        if form is None:
            return error_page(request, 403, f"Your role ({principal.role}) may not change budgets.")
        if form.is_valid():
            budget = budget_services.budget_create(
                organization=principal.organization, actor=principal, **form.validated
            )
            messages.success(request, f"Budget {budget.name!r} created.")
            return redirect("dashboard:budgets")
    context = pages.budgets_page(principal, timezone.now().date())
    response = _page(request, principal, "budgets.html", form=form, **context)
    response.status_code = 400 if form is not None and form.errors else 200
    return response


@member_page(Capability.CONFIGURE)
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, principal: Principal, budget_id: str) -> HttpResponse:
    budget = budget_selectors.budget_get(organization=principal.organization, budget_id=budget_id)
    form = _budget_form(request, principal, budget)
    if request.method == "POST" and form.is_valid():
        budget_services.budget_update(budget=budget, data=form.validated, actor=principal)
        messages.success(request, f"Budget {budget.name!r} saved.")
        return redirect("dashboard:budgets")
    response = _page(request, principal, "budget_edit.html", form=form, budget=budget)
    response.status_code = 400 if form.errors else 200
    return response


@member_page(Capability.CATEGORISE)
@require_POST
def alert_read(request: HttpRequest, principal: Principal, alert_id: str) -> HttpResponse:
    alert = budget_selectors.alert_get(organization=principal.organization, alert_id=alert_id)
    budget_services.alert_mark_read(alert=alert)
    return _back(request, reverse("dashboard:budgets"))


@member_page(Capability.INGEST)
def batches(request: HttpRequest, principal: Principal) -> HttpResponse:
    return _page(request, principal, "batches.html", **pages.batches_page(principal))


@member_page(Capability.INGEST)
@require_POST
def batch_retry(request: HttpRequest, principal: Principal, batch_id: str) -> HttpResponse:
    batch = batch_get(organization=principal.organization, batch_id=batch_id)
    # The same service as POST /api/v1/batches/<id>/retry/.
    count = enrichment_services.batch_retry(batch=batch, actor=principal)
    messages.success(request, f"Re-queued {count} failed transaction(s) of batch {batch.pk}.")
    return redirect("dashboard:batches")
