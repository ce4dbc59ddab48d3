"""Issue and revoke awards: the one path every award takes (CLI, CSV, rules, reviews, instructors).

Issuing composes the OB 3.0 credential, signs it (Data Integrity and VC-JWT) and checks the proof,
signs the OB 2.0 assertion, allocates a status-list position and writes the award, its gradebook
score (when the course asked for one) and its registrar feed event, all in one transaction: either
everything is recorded or nothing is.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.api import IssuingError, issue_credential
from ..core.data import IDENTITY_TYPES, CredentialClaims, Evidence, StatusEntry
from ..core.openbadges import ob2
from ..core.openbadges.compose import identity_object
from ..models import Achievement, Award, FeedEvent, Issuer, Learner
from .canonicalizer import shared_canonicalizer
from .documents import achievement_definition, issuer_profile
from .errors import NotIssuableError, ServiceError
from .feed_events import award_event_record
from .gradebook import gradebook_scores_queue
from .issuers import issuer_signers
from .learners import identities_for
from .status_lists import status_bit_set, status_index_pick, status_list_open

logger = logging.getLogger(__name__)


def award_issue(*, achievement: Achievement, learner: Learner, issued_by: str, source: str = "manual",
                evidence: Iterable[Mapping[str, str]] = (), narrative: str = "", now: datetime | None = None,
                valid_until: datetime | None = None) -> Award:
    """Award ``achievement`` to ``learner`` and return the award with its signed credentials.

    Raises:
        NotIssuableError: the achievement is not approved/active, outside its dates, or the learner
            already holds a current award of it (and it is not re-earnable).
        IssuingError: the credential could not be signed safely (nothing is written).
    """
    now = now or timezone.now()
    _check_issuable(achievement, now)
    evidence = [_evidence_item(item) for item in evidence]
    if valid_until is None and achievement.valid_for_days:
        valid_until = now + timedelta(days=achievement.valid_for_days)
    try:
        with transaction.atomic():
            previous = None
            if not achievement.re_earnable:
                previous = (Award.objects.select_for_update()
                            .filter(achievement=achievement, learner=learner, is_current=True, exclusive=True).first())
                if previous is not None:
                    if previous.valid_until is None or previous.valid_until > now:
                        raise NotIssuableError(f"{learner} already holds {achievement.name} "
                                               f"(award {previous.uuid}); revoke it first")
                    Award.objects.filter(pk=previous.pk).update(is_current=False)
            award = _save_new_award(achievement=achievement, learner=learner, issued_by=issued_by, source=source,
                                    evidence=evidence, narrative=narrative, now=now, valid_until=valid_until)
            if previous is not None:
                Award.objects.filter(pk=previous.pk).update(superseded_by=award)
            gradebook_scores_queue(award=award, earned=True, now=now)
            award_event_record(award=award, type=FeedEvent.Type.AWARDED, occurred_at=now)
    except IntegrityError as error:
        if "award_one_current_per_learner" in str(error) or "lti_tool_award.achievement_id" in str(error):
            raise NotIssuableError(f"{learner} already holds {achievement.name}") from None
        raise
    logger.info("issued award %s of achievement %s", award.uuid, achievement.uuid)
    return award


def award_revoke(*, award: Award, reason: str, revoked_by: str, now: datetime | None = None) -> Award:
    """Revoke an award: record who and why, and set its bit in the status list (republished at once).

    Raises:
        ServiceError: no reason was given or the award is already revoked.
    """
    if not reason.strip():
        raise ServiceError("a revocation needs a reason")
    with transaction.atomic():
        locked = Award.objects.select_for_update().select_related("status_list__issuer").get(pk=award.pk)
        if locked.revoked_at is not None:
            raise ServiceError(f"award {award.uuid} was already revoked on {locked.revoked_at:%Y-%m-%d}")
        locked.revoked_at = now or timezone.now()
        locked.revocation_reason = reason.strip()
        locked.revoked_by = revoked_by
        locked.is_current = False
        locked.save(update_fields=["revoked_at", "revocation_reason", "revoked_by", "is_current"])
        status_bit_set(status_list=locked.status_list, index=locked.status_index, value=True)
        gradebook_scores_queue(award=locked, earned=False, now=locked.revoked_at)
        award_event_record(award=locked, type=FeedEvent.Type.REVOKED, occurred_at=locked.revoked_at,
                           reason=locked.revocation_reason)
    logger.info("revoked award %s", award.uuid)
    return locked


STATUS_INDEX_ATTEMPTS = 3


def _save_new_award(**kwargs: Any) -> Award:
    """Build and insert an award; if another request took the same status-list index, draw again."""
    for attempt in range(STATUS_INDEX_ATTEMPTS):
        award = _build_award(**kwargs)
        try:
            with transaction.atomic():
                award.save(force_insert=True)
            return award
        except IntegrityError as error:
            if "award_unique_status_index" not in str(error) and "status_index" not in str(error):
                raise
            if attempt == STATUS_INDEX_ATTEMPTS - 1:
                raise
            logger.warning("status-list index %s was taken concurrently; drawing another", award.status_index)
    raise AssertionError("unreachable")


def _check_issuable(achievement: Achievement, now: datetime) -> None:
    if not achievement.issuable:
        raise NotIssuableError(f"{achievement.name} is {achievement.get_status_display().lower()}, "
                               "not approved or active")
    today = now.date()
    if achievement.effective_date and today < achievement.effective_date:
        raise NotIssuableError(f"{achievement.name} can be earned from {achievement.effective_date}")
    if achievement.expiration_date and today > achievement.expiration_date:
        raise NotIssuableError(f"{achievement.name} could be earned until {achievement.expiration_date}")


def _build_award(*, achievement: Achievement, learner: Learner, issued_by: str, source: str,
                 evidence: list[dict[str, str]], narrative: str, now: datetime,
                 valid_until: datetime | None) -> Award:
    status_list = status_list_open(issuer=achievement.issuer)
    award = Award(uuid=uuid.uuid4(), achievement=achievement, learner=learner, exclusive=not achievement.re_earnable,
                  is_current=True, issued_at=now, valid_from=now, valid_until=valid_until, awarded_date=now,
                  source=source, issued_by=issued_by, narrative=narrative, evidence=evidence,
                  status_list=status_list, status_index=status_index_pick(status_list=status_list),
                  identity_salt=secrets.token_hex(16))
    _sign(award)
    return award


def _sign(award: Award) -> None:
    """Compose and sign the award's OB 3.0 credential (and VC-JWT) and OB 2.0 assertion from its fields."""
    achievement, learner, status_list = award.achievement, award.learner, award.status_list
    issuer = achievement.issuer
    signer, jwt_signer = issuer_signers(issuer=issuer)
    base = issuer.base_url.rstrip("/")
    claims = CredentialClaims(
        id=f"{base}/credentials/{award.uuid}",
        issuer=issuer_profile(issuer),
        achievement=achievement_definition(achievement),
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        awarded_date=award.awarded_date,
        subject_id=learner.subject_id,
        identifiers=tuple(credential_identifiers(learner, award.identity_salt, issuer=issuer)),
        evidence=tuple(Evidence(**item) for item in award.evidence),
        narrative=award.narrative or None,
        status=StatusEntry(status_list.public_id, award.status_index),
    )
    try:
        issued = issue_credential(claims, signer=signer, created=award.valid_from,
                                  canonicalizer=shared_canonicalizer(),
                                  jwt_signer=jwt_signer if tool_settings.ISSUE_VC_JWT else None)
    except IssuingError:
        logger.exception("refused to issue %s to learner %s", achievement.uuid, learner.uuid)
        raise
    email = learner.identity("emailAddress")
    assertion_jws = ""
    if email is not None:
        assertion = ob2.assertion_json(
            assertion_id=f"urn:uuid:{award.uuid}",
            badgeclass_url=f"{base}/ob2/badges/{achievement.uuid}",
            recipient_email=email.value, salt=award.identity_salt, issued_on=award.valid_from,
            expires=award.valid_until,
            evidence=[{k: v for k, v in item.items() if k in ("id", "narrative", "name")} for item in award.evidence],
            narrative=award.narrative or None, signed_by=_ob2_key_url(issuer, jwt_signer),
        )
        assertion_jws = ob2.sign_assertion(assertion, jwt_signer)
    award.credential, award.credential_jwt, award.ob2_assertion_jws = issued.credential, issued.jwt or "", \
        assertion_jws


def award_reissue(*, award: Award, reissued_by: str, reason: str, now: datetime | None = None) -> Award:
    """Sign a current award again under the same credential id with a newer ``validFrom`` (a correction).

    Open Badges 3.0: a verifier or wallet holding both keeps the newer. Use it after a learner's
    identifiers or the evidence were corrected; the meaning (achievement version) stays the one
    awarded. Writes ``credential.reissued`` to the registrar feed in the same transaction.

    Raises:
        ServiceError: no reason, or the award is revoked or no longer current.
    """
    if not reason.strip():
        raise ServiceError("a reissue needs a reason")
    now = now or timezone.now()
    with transaction.atomic():
        locked = (Award.objects.select_for_update(of=("self",))
                  .select_related("achievement__issuer", "learner", "status_list").get(pk=award.pk))
        if locked.revoked_at is not None or not locked.is_current:
            raise ServiceError(f"award {award.uuid} is revoked or superseded; issue a new one instead")
        locked.valid_from = now
        _sign(locked)
        locked.save(update_fields=["valid_from", "credential", "credential_jwt", "ob2_assertion_jws"])
        award_event_record(award=locked, type=FeedEvent.Type.REISSUED, occurred_at=now,
                           reason=f"{reason.strip()} (by {reissued_by})")
    logger.info("reissued award %s", award.uuid)
    return locked


def credential_identifiers(learner: Learner, salt: str, *, issuer: Issuer) -> list[Any]:
    """Return the learner's identifiers that may go into ``issuer``'s credential; all hashed but the plain ones.

    No other institution's student ids (a published salt makes a hashed short number guessable).
    """
    included = set(tool_settings.CREDENTIAL_IDENTITY_TYPES) & IDENTITY_TYPES
    plain = set(tool_settings.PLAINTEXT_IDENTITY_TYPES)
    return [identity_object(identity.kind, identity.value, salt=None if identity.kind in plain else salt)
            for identity in sorted(identities_for(learner, issuer), key=lambda i: (i.kind, i.pk))
            if identity.kind in included]


def _ob2_key_url(issuer, jwt_signer) -> str:
    return f"{issuer.base_url.rstrip('/')}/ob2/issuers/{issuer.uuid}/keys/{jwt_signer.kid.rsplit('/', 1)[-1]}"


def _evidence_item(item: Mapping[str, str]) -> dict[str, str]:
    allowed = {"id", "name", "narrative", "description", "genre", "audience"}
    unknown = set(item) - allowed
    if unknown:
        raise ServiceError(f"evidence has unknown field(s): {', '.join(sorted(unknown))}")
    cleaned = {key: str(value).strip() for key, value in item.items() if value not in (None, "")}
    if not cleaned:
        raise ServiceError("an evidence item needs at least a URL or a narrative")
    if "id" in cleaned and not cleaned["id"].startswith(("https://", "http://", "urn:")):
        raise ServiceError(f"evidence URL {cleaned['id']!r} is not an http(s) URL")
    return cleaned
