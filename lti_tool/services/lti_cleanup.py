"""Remove LTI records that have served their purpose (states, nonces, launch sessions, retired keys).

Nothing here is a permanent record: states and nonces only guard against replay until the id_tokens
they belong to could no longer be accepted, and launch sessions end at ``expires_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ..conf import tool_settings
from ..models import LtiLaunch, LtiOidcState, LtiToolKey, LtiUsedNonce


@dataclass(frozen=True)
class CleanupCounts:
    states: int
    nonces: int
    launches: int
    tool_keys: int


def lti_records_cleanup(*, now=None) -> CleanupCounts:
    """Delete expired OIDC states, used nonces past their window, ended launches and expired tool keys."""
    now = now or timezone.now()
    # A used nonce must outlive every token that could carry it (maximum token age plus leeway).
    states = LtiOidcState.objects.filter(expires_at__lt=now).delete()[0]
    nonces = LtiUsedNonce.objects.filter(expires_at__lt=now).delete()[0]
    launches = LtiLaunch.objects.filter(expires_at__lt=now - timedelta(seconds=int(tool_settings.LTI_LEEWAY))) \
        .delete()[0]
    keys = LtiToolKey.objects.filter(active=False, expires_at__lt=now).delete()[0]
    return CleanupCounts(states=states, nonces=nonces, launches=launches, tool_keys=keys)
