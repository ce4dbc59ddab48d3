"""Find or create learners by the identifiers a source knows them by."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Issuer, Learner, LearnerIdentity, LtiDeployment, LtiUser
from .errors import ServiceError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ATTEMPTS = 3
SIS = "sisSourcedId"


def sis_scope(issuer: Issuer) -> str:
    """Return the scope of an institution's student (SIS) ids: the same number at two institutions is two ids.

    Ids recorded with no scope (before scoping, or by a tool-wide import) count for every institution.
    """
    return f"urn:uuid:{issuer.uuid}"


def sis_scopes(issuer: Issuer | None) -> tuple[str, ...]:
    """Return the scopes whose student ids count for ``issuer`` (unscoped ids count everywhere)."""
    return ("", sis_scope(issuer)) if issuer is not None else ("",)


def identities_for(learner: Learner, issuer: Issuer) -> list[LearnerIdentity]:
    """Return the learner's identifiers that ``issuer`` may know them by: no other institution's student ids."""
    scopes = sis_scopes(issuer)
    return [identity for identity in learner.identities.all() if identity.kind != SIS or identity.scope in scopes]


def issuer_platform_ids(issuer: Issuer) -> set[int]:
    """Return the ids of the LMS platforms ``issuer`` has deployments on."""
    return set(LtiDeployment.objects.filter(issuer=issuer).values_list("registration__platform_id", flat=True))


def lms_accounts_for(learner: Learner, issuer: Issuer, platforms: set[int] | None = None) -> list[LtiUser]:
    """Return the learner's LMS accounts on the platforms ``issuer`` has deployments on (``platforms``, if known).

    Without ``platforms``, one query (as reading the accounts at all would be).
    """
    if platforms is None:
        return list(learner.lti_accounts.filter(platform__registrations__deployments__issuer=issuer).distinct())
    return [account for account in learner.lti_accounts.all() if account.platform_id in platforms]


def learner_find_or_create(*, email: str = "", sis_id: str = "", issuer: Issuer | None = None, name: str = "",
                           source: str) -> Learner:
    """Return the learner with this email or SIS id, creating one (and the identities) if new.

    A student id is ``issuer``'s (:func:`sis_scope`); without an issuer it is unscoped.

    Raises:
        ServiceError: no identifier given, a malformed email, or the identifiers name two people.
    """
    scope = sis_scope(issuer) if issuer is not None else ""
    email = email.strip().lower()
    sis_id = sis_id.strip()
    if not email and not sis_id:
        raise ServiceError("a learner needs an email address or a student (SIS) id")
    if email and not _EMAIL.match(email):
        raise ServiceError(f"{email!r} is not an email address")
    wanted = [(kind, scope, value) for kind, scope, value in
              (("emailAddress", "", email), (SIS, scope, sis_id)) if value]
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _find_or_create(wanted, name=name.strip(), source=source, issuer=issuer)
        except IntegrityError:
            # Another request created one of these identities at the same moment (the unique
            # constraint on kind/scope/value). Everything this attempt wrote is rolled back; look
            # again and use what the winner created.
            continue
    raise ServiceError(f"could not record learner {email or sis_id}: identifiers keep changing; try again")


def _find_or_create(wanted: list[tuple[str, str, str]], *, name: str, source: str,
                    issuer: Issuer | None) -> Learner:
    found = {identity.learner_id: identity.learner
             for kind, scope, value in wanted
             for identity in LearnerIdentity.objects.select_related("learner").filter(
                 kind=kind, scope__in={scope, ""} if kind == SIS else {scope}, value=value)}
    if len(found) > 1:
        raise ServiceError(" / ".join(value for _, _, value in wanted) + " match two different learners")
    learner = next(iter(found.values()), None)
    if learner is None:
        learner = Learner.objects.create(display_name=name)
    elif name and not learner.display_name:
        learner.display_name = name
        learner.save(update_fields=["display_name"])
    have = {(i.kind, i.scope, i.value) for i in learner.identities.all()}
    newly_matched = False
    for kind, scope, value in wanted:
        if (kind, scope, value) not in have and (kind != SIS or (SIS, "", value) not in have):
            identity = LearnerIdentity.objects.create(learner=learner, kind=kind, scope=scope, value=value,
                                                      source=source)
            newly_matched = newly_matched or kind == SIS
    if newly_matched and (learner_has_parked_events(learner) or issuer is not None):
        learner_identity_linked(learner=learner, by=source, now=identity.created_at, issuer=issuer)
    return learner


def learner_has_parked_events(learner: Learner) -> bool:
    """Whether some feed event about the learner waits for their student id."""
    from ..models import FeedDelivery

    return FeedDelivery.objects.filter(learner=learner, status=FeedDelivery.Status.PARKED).exists()


def learner_sis_id_link(*, learner: Learner, sis_id: str, by: str, issuer: Issuer | None = None) -> LearnerIdentity:
    """Give a learner the student (SIS) id ``issuer``'s registrar matched them to; release their parked events.

    The id is scoped to the institution (:func:`sis_scope`); without ``issuer`` it is unscoped and
    counts everywhere. Writes ``learner.identity_linked`` to the feed of every issuer that holds
    awards of the learner, in the same transaction, and lets the learner's parked deliveries go out in order.

    Raises:
        ServiceError: an empty id, the id already belongs to another learner of this institution
            (an identifier conflict for the registrar to resolve), or the learner already has a
            different SIS id here.
    """
    sis_id = sis_id.strip()
    if not sis_id or len(sis_id) > 320:
        raise ServiceError("give a student (SIS) id of 1 to 320 characters")
    scope = sis_scope(issuer) if issuer is not None else ""
    with transaction.atomic():
        # An unscoped id counts everywhere, so it clashes with every institution's holder of the number.
        holders = list(LearnerIdentity.objects.select_for_update().filter(
            kind=SIS, value=sis_id, **({"scope__in": sis_scopes(issuer)} if issuer is not None else {})))
        if any(held.learner_id != learner.pk for held in holders):
            raise ServiceError(f"SIS id {sis_id} already belongs to another learner; resolve the conflict "
                               "(listed under identifier conflicts) before linking")
        held = next((h for h in holders if h.scope in sis_scopes(issuer)), None)
        if held is not None:  # already theirs (from a file, say): make sure nothing still waits for it
            if learner_has_parked_events(learner):
                learner_identity_linked(learner=learner, by=by, now=timezone.now(), issuer=issuer)
            return held
        if learner.identities.filter(kind=SIS, scope__in=sis_scopes(issuer)).exists():
            raise ServiceError(f"{learner} already has a different SIS id")
        identity = LearnerIdentity.objects.create(learner=learner, kind=SIS, scope=scope, value=sis_id,
                                                  source=f"registrar:{by}"[:64])
        learner_identity_linked(learner=learner, by=by, now=identity.created_at, issuer=issuer)
    return identity


def learner_identity_linked(*, learner: Learner, by: str, now: datetime, issuer: Issuer | None = None) -> int:
    """Tell the feed a learner can now be matched, and release their parked events; return how many.

    Goes to the issuers the new identifier concerns: ``issuer`` (whose id or platform it is, if it
    holds approved credentials of the learner) and every issuer with deliveries parked for the
    learner; to each that can now match them, ``learner.identity_linked`` is written and its parked
    deliveries are released, in order. Call inside the transaction that recorded the new identifier.
    """
    from ..models import Award, FeedDelivery, FeedEvent
    from .feed_delivery import deliveries_unpark
    from .feed_events import feed_event_record, learner_summary

    waiting = set(FeedDelivery.objects.filter(learner=learner, status=FeedDelivery.Status.PARKED)
                  .values_list("endpoint__issuer_id", flat=True))
    if issuer is not None and Award.objects.filter(learner=learner, achievement__issuer=issuer,
                                                   achievement__approved_at__isnull=False).exists():
        waiting.add(issuer.pk)
    released = 0
    for concerned in Issuer.objects.filter(pk__in=waiting).order_by("pk"):
        summary = learner_summary(learner, issuer=concerned)
        if summary["matchStatus"] != "matched":
            continue  # another institution's id: this one still cannot match them
        feed_event_record(type=FeedEvent.Type.IDENTITY_LINKED, issuer=concerned, subject=learner.subject_id,
                          data={"learner": summary, "linkedBy": by}, occurred_at=now, learner=learner)
        released += deliveries_unpark(learner_id=learner.pk, issuer=concerned)
    return released
