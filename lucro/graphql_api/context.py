"""What a resolver knows of its request: the caller, and the accounts a page refers to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView
from strawberry.types import Info

from lucro.budgets.models import Budget
from lucro.core.errors import Forbidden, Unauthorized
from lucro.reports import responses, selectors
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal


@dataclass
class AccountLoader:
    """The accounts of the transactions a request lists, read in one query for them all.

    A connection announces the account ids of its page (``want``); the first transaction
    whose ``account`` is asked for reads every announced one at once, so a page of 100
    transactions costs one query for its accounts, not 100.
    """

    organization: Organization
    wanted: set[str] = field(default_factory=set)
    loaded: dict[str, responses.Account | None] = field(default_factory=dict)

    def want(self, account_ids: Iterable[str]) -> None:
        self.wanted.update(account_ids)

    def know(self, accounts: Mapping[str, responses.Account]) -> None:
        """Keep accounts already read (a transaction page's): no query for them."""
        self.loaded.update(accounts)

    def get(self, account_id: str) -> responses.Account | None:
        if account_id not in self.loaded:
            missing = (self.wanted | {account_id}) - self.loaded.keys()
            found = selectors.accounts_by_id(organization=self.organization, account_ids=missing)
            for name in missing:
                self.loaded[name] = found.get(name)
        return self.loaded[account_id]


@dataclass
class Context:
    request: Request
    view: APIView
    principal: Principal
    accounts: AccountLoader
    # The budgets a request has read (by id, with their organization): a budget's
    # ``status`` reads its spend, not the budget again.
    budgets: dict[str, Budget] = field(default_factory=dict)

    def budgets_read(self, budgets: Iterable[Budget]) -> None:
        for budget in budgets:
            budget.organization = self.principal.organization
            self.budgets[str(budget.pk)] = budget


def principal_with(info: Info[Any, Any], permission: type[BasePermission]) -> Principal:
    """Return the caller if REST's ``permission`` class lets them in, else refuse as REST
    does (403 with the same message): a field needs what its endpoint needs."""
    context: Context = info.context
    checker = permission()
    if not checker.has_permission(context.request, context.view):
        if not isinstance(context.request.user, Principal):
            raise Unauthorized("Authentication credentials were not provided.")
        raise Forbidden(str(getattr(checker, "message", None) or "Permission denied."))
    return context.principal
