"""Render a feed event for one destination: CloudEvents 1.0 structured JSON, thin or full.

Registrar research digest 5.2: the event's ``data`` is a snapshot taken when the change happened;
each destination receives only the identifier types its settings let leave the institution
(FERPA data minimisation, digest 4.2). Thin payloads carry ids and links; full ones add the
learner's name and the signed credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timefmt import format_datetime

SPEC_VERSION = "1.0"
EVENT_TYPES = ("credential.awarded", "credential.revoked", "credential.expired", "credential.reissued",
               "achievement.approved", "achievement.retired", "learner.identity_linked")
LEARNER_TYPES = frozenset(t for t in EVENT_TYPES if t.startswith(("credential.", "learner.")))
THIN, FULL = "thin", "full"


@dataclass(frozen=True)
class StoredEvent:
    """What the outbox holds of one event."""

    id: str
    position: int
    type: str
    subject: str
    time: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Disclosure:
    """What one destination is allowed to receive."""

    identifier_types: frozenset[str]
    payload: str = THIN

    def __post_init__(self) -> None:
        if self.payload not in (THIN, FULL):
            raise ValueError(f"payload must be {THIN!r} or {FULL!r}")


def render(event: StoredEvent, *, source: str, disclosure: Disclosure, schema_base: str,
           credential: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the CloudEvent for ``event`` as this destination may see it.

    ``source`` names the issuer (CloudEvents ``source``; ``source`` + ``id`` identify the event, and a
    receiver drops a repeat by them). ``credential`` is the signed credential, sent in full mode only.
    """
    data = {key: value for key, value in event.data.items() if key != "learner"}
    data["sequence"] = event.position
    learner = event.data.get("learner")
    if learner is not None:
        data["learner"] = learner_view(learner, disclosure)
    if disclosure.payload == FULL and credential is not None:
        data["signedCredential"] = dict(credential)
    return {
        "specversion": SPEC_VERSION, "id": event.id, "source": source, "type": event.type,
        "subject": event.subject, "time": format_datetime(event.time), "datacontenttype": "application/json",
        "dataschema": f"{schema_base.rstrip('/')}/{event.type}/1", "data": data,
    }


def learner_view(learner: Mapping[str, Any], disclosure: Disclosure) -> dict[str, Any]:
    """Return the learner block with only the allowed identifiers (and the name in full mode)."""
    identifiers = [dict(item) for item in learner.get("identifiers", ()) if item.get("type") in
                   disclosure.identifier_types]
    view = {"id": learner.get("id"), "identifiers": identifiers, "matchStatus": learner.get("matchStatus")}
    if disclosure.payload == FULL and learner.get("name"):
        view["name"] = learner["name"]
    return view


def disclosed_types(rendered: Mapping[str, Any]) -> list[str]:
    """Return the identifier types a rendered event carries (for the disclosure log, 34 CFR §99.32)."""
    learner = rendered.get("data", {}).get("learner") or {}
    kinds = sorted({item.get("type", "") for item in learner.get("identifiers", ())})
    if "name" in learner:
        kinds.append("name")
    return kinds


def wanted(event_type: str, types: Iterable[str]) -> bool:
    """Whether a destination subscribed to ``types`` (empty: every type) receives ``event_type``."""
    chosen = list(types)
    return not chosen or event_type in chosen
