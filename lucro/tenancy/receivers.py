"""Tenancy's own reactions to changes of its rows, whoever makes them (API, admin, shell)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lucro.tenancy.models import Membership
from lucro.tenancy.models import User as LucroUser
from lucro.tenancy.tokens import refresh_tokens_revoke


@receiver(post_delete, sender=Membership, dispatch_uid="tenancy.membership_removed")
def membership_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    # A removed member's refresh tokens for that organization are dead at once (their
    # access tokens already fail: authentication reads the membership on every request).
    refresh_tokens_revoke(user_id=instance.user_id, organization_id=instance.organization_id)


# Both senders: saving through the proxy (Lucro's admin) names the proxy.
@receiver(post_save, sender=User, dispatch_uid="tenancy.user_deactivated")
@receiver(post_save, sender=LucroUser, dispatch_uid="tenancy.lucro_user_deactivated")
def user_deactivated(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        refresh_tokens_revoke(user_id=instance.pk)
