"""Allocate status-list positions and publish signed Bitstring Status List credentials.

Positions are drawn at random (W3C Bitstring Status List §6.4 "Group Privacy": sequential indexes
let an observer date a credential) from a list that is less than ``STATUS_LIST_FILL_LIMIT`` full;
a full list is closed and a new one opened. Allocation takes no lock on the list: the unique
constraint on (list, index) settles the rare collision.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.api import sign_document
from ..core.openbadges.status_list import Bitstring, status_list_credential
from ..models import Award, Issuer, StatusList
from .canonicalizer import shared_canonicalizer
from .issuers import issuer_signers

ALLOCATION_ATTEMPTS = 32


def status_list_open(*, issuer: Issuer, purpose: str = "revocation") -> StatusList:
    """Return the list new awards of ``issuer`` go into, creating and publishing one when needed."""
    status_list = StatusList.objects.filter(issuer=issuer, purpose=purpose, open_for_allocation=True).first()
    if status_list is not None:
        used = Award.objects.filter(status_list=status_list).count()
        if used < status_list.size * tool_settings.STATUS_LIST_FILL_LIMIT:
            return status_list
        StatusList.objects.filter(pk=status_list.pk).update(open_for_allocation=False)
    size = int(tool_settings.STATUS_LIST_SIZE)
    status_list = StatusList.objects.create(issuer=issuer, purpose=purpose, size=size, bits=bytes(size // 8))
    status_list_publish(status_list=status_list)
    return status_list


def status_index_pick(*, status_list: StatusList) -> int:
    """Return a random index not yet used in ``status_list``."""
    for _ in range(ALLOCATION_ATTEMPTS):
        index = secrets.randbelow(status_list.size)
        if not Award.objects.filter(status_list=status_list, status_index=index).exists():
            return index
    raise IntegrityError("could not find a free status-list index; the list is too full")


def status_list_publish(*, status_list: StatusList) -> StatusList:
    """Sign the list's current bits as a BitstringStatusListCredential and store it for serving."""
    now = timezone.now()
    signer, _ = issuer_signers(issuer=status_list.issuer)
    encoded = Bitstring(data=bytes(status_list.bits)).encode()
    document = status_list_credential(list_url=status_list.public_id, issuer_id=status_list.issuer.public_id,
                                      encoded_list=encoded, valid_from=now, status_purpose=status_list.purpose)
    status_list.credential = sign_document(document, signer=signer, created=now, canonicalizer=shared_canonicalizer())
    status_list.etag = hashlib.sha256(encoded.encode("ascii") + now.isoformat().encode()).hexdigest()[:32]
    status_list.published_at = now
    status_list.save(update_fields=["credential", "etag", "published_at"])
    return status_list


def status_bit_set(*, status_list: StatusList, index: int, value: bool = True) -> StatusList:
    """Set one bit under a row lock and republish the list credential."""
    with transaction.atomic():
        locked = StatusList.objects.select_for_update().get(pk=status_list.pk)
        bits = Bitstring(data=bytes(locked.bits))
        bits.set(index, value)
        locked.bits = bits.to_bytes()
        locked.save(update_fields=["bits"])
        return status_list_publish(status_list=locked)
