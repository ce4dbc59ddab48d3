"""Find or create learners by the identifiers a source knows them by."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from ..models import Learner, LearnerIdentity
from .errors import ServiceError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
    with transaction.atomic():
        found = {
            identity.learner_id: identity.learner
            for kind, scope, value in wanted
            for identity in LearnerIdentity.objects.select_related("learner").filter(kind=kind, scope=scope,
                                                                                     value=value)
        }
        if len(found) > 1:
            raise ServiceError(f"{email or ''} {sis_id or ''}".strip() + " match two different learners")
        learner = next(iter(found.values()), None)
        if learner is None:
            learner = Learner.objects.create(display_name=name.strip())
        elif name and not learner.display_name:
            learner.display_name = name.strip()
            learner.save(update_fields=["display_name"])
        for kind, scope, value in wanted:
            try:
                with transaction.atomic():
                    LearnerIdentity.objects.get_or_create(kind=kind, scope=scope, value=value,
                                                          defaults={"learner": learner, "source": source})
            except IntegrityError:
                raise ServiceError(f"{kind} {value} already belongs to another learner") from None
    return learner
