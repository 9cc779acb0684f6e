"""Aliases at the unversioned paths of the original assignment."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
