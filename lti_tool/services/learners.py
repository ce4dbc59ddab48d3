"""Find or create learners by the identifiers a source knows them by."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from ..models import Learner, LearnerIdentity
from .errors import ServiceError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ATTEMPTS = 3


def learner_find_or_create(*, email: str = "", sis_id: str = "", sis_scope: str = "", name: str = "",
                           source: str) -> Learner:
    """Return the learner with this email or SIS id, creating one (and the identities) if new.

    Raises:
        ServiceError: no identifier given, a malformed email, or the identifiers name two people.
    """
    email = email.strip().lower()
    sis_id = sis_id.strip()
    if not email and not sis_id:
        raise ServiceError("a learner needs an email address or a student (SIS) id")
    if email and not _EMAIL.match(email):
        raise ServiceError(f"{email!r} is not an email address")
    wanted = [(kind, scope, value) for kind, scope, value in
              (("emailAddress", "", email), ("sisSourcedId", sis_scope, sis_id)) if value]
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _find_or_create(wanted, name=name.strip(), source=source)
        except IntegrityError:
            # Another request created one of these identities at the same moment (the unique
            # constraint on kind/scope/value). Everything this attempt wrote is rolled back; look
            # again and use what the winner created.
            continue
    raise ServiceError(f"could not record learner {email or sis_id}: identifiers keep changing; try again")


def _find_or_create(wanted: list[tuple[str, str, str]], *, name: str, source: str) -> Learner:
    found = {identity.learner_id: identity.learner
             for kind, scope, value in wanted
             for identity in LearnerIdentity.objects.select_related("learner").filter(kind=kind, scope=scope,
                                                                                      value=value)}
    if len(found) > 1:
        raise ServiceError(" / ".join(value for _, _, value in wanted) + " match two different learners")
    learner = next(iter(found.values()), None)
    if learner is None:
        learner = Learner.objects.create(display_name=name)
    elif name and not learner.display_name:
        learner.display_name = name
        learner.save(update_fields=["display_name"])
    have = {(i.kind, i.scope, i.value) for i in learner.identities.all()}
    for kind, scope, value in wanted:
        if (kind, scope, value) not in have:
            LearnerIdentity.objects.create(learner=learner, kind=kind, scope=scope, value=value, source=source)
    return learner
