"""Export a learner's Comprehensive Learner Record (CLR 2.0) for a term, signed by the issuer.

Registrar research digest 5.3 (format 3): one ``ClrCredential`` per learner per term, holding the
signed OB 3.0 credentials the learner holds from this issuer's catalog (approved by the registrar),
awarded in the term and neither revoked, expired nor superseded. Signed with the issuer's Ed25519
key (``eddsa-rdfc-2022``) like every credential.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ..core.api import IssuingError, sign_document
from ..core.openbadges.clr import ClrClaims, compose_clr
from ..core.openbadges.compose import CompositionError
from ..models import Award, Issuer, Learner
from .awards import credential_identifiers
from .canonicalizer import shared_canonicalizer
from .documents import achievement_definition, issuer_profile
from .errors import ServiceError
from .issuers import issuer_signers


def clr_issue(*, issuer: Issuer, learner: Learner, first: date, last: date, term: str = "",
              now: datetime | None = None) -> dict[str, Any]:
    """Return the signed ClrCredential of ``learner``'s credentials from ``issuer`` awarded ``first``..``last``.

    Raises:
        ServiceError: the learner holds no such credential, or it cannot be signed safely.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    awards = list(_held(issuer, start, end, now).filter(learner=learner)
                  .select_related("achievement__issuer", "achievement__image").order_by("awarded_date", "pk"))
    if not awards:
        raise ServiceError(f"{learner} holds no credential from {issuer.name} awarded {first} to {last}")
    label = term or f"{first:%d %b %Y} to {last:%d %b %Y}"
    claims = ClrClaims(
        id=f"urn:uuid:{uuid.uuid4()}", issuer=issuer_profile(issuer),
        name=f"Comprehensive Learner Record: {learner.display_name or learner.subject_id}, {label}",
        description=f"Credentials from {issuer.name} awarded {first.isoformat()} to {last.isoformat()}.",
        valid_from=now, subject_id=learner.subject_id,
        identifiers=tuple(credential_identifiers(learner, secrets.token_hex(16), issuer=issuer)),
        achievements=tuple(achievement_definition(award.achievement) for award in awards),
        credentials=tuple(award.credential for award in awards))
    signer, _jwt_signer = issuer_signers(issuer=issuer)
    try:
        return sign_document(compose_clr(claims), signer=signer, created=now, canonicalizer=shared_canonicalizer())
    except (CompositionError, IssuingError) as error:
        raise ServiceError(f"the CLR could not be signed: {error}") from None


def clr_learners(*, issuer: Issuer, first: date, last: date) -> list[Learner]:
    """Return the learners holding credentials from ``issuer`` awarded in the range."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    ids = _held(issuer, start, end, timezone.now()).values_list("learner_id", flat=True)
    return list(Learner.objects.filter(pk__in=ids).order_by("pk"))


def _held(issuer: Issuer, start: datetime, end: datetime, now: datetime):
    """Return the awards of the issuer's catalog credentials made in the range that still hold.

    That is: current, not revoked, not expired.
    """
    return (Award.objects.filter(achievement__issuer=issuer, achievement__approved_at__isnull=False,
                                 is_current=True, revoked_at__isnull=True, awarded_date__gte=start,
                                 awarded_date__lt=end)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now)))
