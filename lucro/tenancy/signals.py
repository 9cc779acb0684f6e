"""What tenancy tells the apps above it (the audit log listens).

``tenancy_event`` is sent after each change of people, roles, keys and sessions, inside the
transaction that made it (a receiver that writes joins it), with:

- ``action``: e.g. ``auth.login``, ``auth.login_failed``, ``auth.token_reuse``,
  ``user.created``, ``user.role_changed``, ``user.removed``, ``api_key.created``,
  ``api_key.revoked``;
- ``organization``: the Organization (None for a failed login that names none);
- ``actor``: the acting Principal, or None (a login acts for itself; a command line);
- ``actor_user_id``: the user acting when there is no Principal (a login), or None;
- ``object_type`` / ``object_id``: what was acted on (``user`` / ``api_key`` …); a user
  is named by their membership's id, as ``/api/v1/users/<id>/`` names them;
- ``changes``: what changed, as JSON-able data (never a password, token or key).
"""

from __future__ import annotations

from django.dispatch import Signal

tenancy_event = Signal()
