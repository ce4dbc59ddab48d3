"""Find issuers, achievements and awards from what an operator types (UUID, URL or exact name)."""

from __future__ import annotations

from django.core.management.base import CommandError

from ..models import Achievement, Award, Issuer
from ..public_ids import parse_uuid
from ..selectors import award_by_public_id


def _uuid_part(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def find_issuer(value: str) -> Issuer:
    issuer = Issuer.objects.filter(uuid=_uuid_part(value)).first() if parse_uuid(_uuid_part(value)) else None
    if issuer is None:
        matches = list(Issuer.objects.filter(name=value)[:2])
        if len(matches) != 1:
            raise CommandError(f"no single issuer matches {value!r}; give its UUID (see `manage.py issuer_list`)")
        issuer = matches[0]
    return issuer


def find_achievement(value: str) -> Achievement:
    achievement = (Achievement.objects.select_related("issuer").filter(uuid=_uuid_part(value)).first()
                   if parse_uuid(_uuid_part(value)) else None)
    if achievement is None:
        matches = list(Achievement.objects.select_related("issuer").filter(name=value)[:2])
        if len(matches) != 1:
            raise CommandError(f"no single achievement matches {value!r}; give its UUID")
        achievement = matches[0]
    return achievement


def find_award(value: str) -> Award:
    """Return the award named by its UUID or credential URL."""
    award = award_by_public_id(value=value)
    if award is None:
        raise CommandError(f"no award {value!r}")
    return award
