"""Evidence for a badge requirement: learners submit it, assessors approve it or return it with a comment.

Each submission and each review records an ``evidence`` fact (submitted / approved / returned) for
the requirement, in the same transaction, so the criteria engine re-evaluates the learner.

Files are checked by their bytes, not by their name or declared type: PDF, PNG, JPEG or UTF-8 text,
at most ``EVIDENCE_MAX_BYTES``. Anything else (executables, archives, HTML, SVG, Office files with
macros) is refused; stored files are only served back as downloads.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Achievement, EvidenceSubmission, Learner, LtiContext
from ..selectors import badge_fact_key, evidence_requirements, sign_off_requirements
from .errors import ServiceError
from .facts import fact_record

EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
MAX_TEXT = 10_000
SOURCE = "accolade:evidence"


class EvidenceRefusedError(ServiceError):
    """Raise when a submission or review cannot be accepted; the message says why, nothing is kept."""


def sniff_file_type(data: bytes) -> str | None:
    """Return the media type the bytes are (PDF, PNG, JPEG, UTF-8 text), or None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or re.search(r"<\s*(html|script|svg|!doctype)", text[:2048], re.IGNORECASE):
        return None  # markup would render somewhere one day; plain text only
    return "text/plain"


def _safe_name(name: str, media_type: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")[:120]
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "text/plain": ".txt"}[
        media_type]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem or 'evidence'}{extension}"


def evidence_submit(*, achievement: Achievement, requirement_id: str, context: LtiContext, learner: Learner,
                    text: str = "", url: str = "", file_name: str = "", file_data: bytes | None = None,
                    now: datetime | None = None) -> EvidenceSubmission:
    """Keep a learner's evidence for one requirement and mark it as waiting for review.

    Raises:
        EvidenceRefusedError: no such evidence requirement, nothing sent, an approved or waiting
            submission already there, a bad URL, or a file that is too large or not an allowed type.
    """
    now = now or timezone.now()
    if requirement_id not in {item.id for item in evidence_requirements(achievement)}:
        raise EvidenceRefusedError("this badge asks for no such evidence")
    text, url = (text or "").strip(), (url or "").strip()
    if len(text) > MAX_TEXT:
        raise EvidenceRefusedError(f"the text is longer than {MAX_TEXT:,} characters")
    if url:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except Exception:
            raise EvidenceRefusedError("the link must be a web address starting with https://") from None
        if len(url) > 1000:
            raise EvidenceRefusedError("the link is longer than 1,000 characters")
    media_type = ""
    if file_data is not None:
        if len(file_data) > EVIDENCE_MAX_BYTES:
            raise EvidenceRefusedError(f"the file is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB")
        if not file_data:
            raise EvidenceRefusedError("the file is empty")
        media_type = sniff_file_type(file_data) or ""
        if not media_type:
            raise EvidenceRefusedError("only PDF, PNG, JPEG or plain-text files can be attached")
    if not (text or url or file_data):
        raise EvidenceRefusedError("add some text, a link or a file")
    try:
        return _submission_save(achievement=achievement, requirement_id=requirement_id, context=context,
                                learner=learner, text=text, url=url, file_name=file_name, file_data=file_data,
                                media_type=media_type, now=now)
    except IntegrityError:  # a second send of the same first evidence, at the same moment
        raise EvidenceRefusedError("this evidence is already waiting for review") from None


def _submission_save(*, achievement: Achievement, requirement_id: str, context: LtiContext, learner: Learner,
                     text: str, url: str, file_name: str, file_data: bytes | None, media_type: str,
                     now: datetime) -> EvidenceSubmission:
    with transaction.atomic():
        held = (EvidenceSubmission.objects.select_for_update()
                .filter(achievement=achievement, requirement_id=requirement_id, context=context, learner=learner)
                .order_by("-submitted_at", "-pk").first())
        if held is not None and held.status != EvidenceSubmission.Status.RETURNED:
            raise EvidenceRefusedError("this evidence is already " + (
                "approved" if held.status == EvidenceSubmission.Status.APPROVED else "waiting for review"))
        submission = EvidenceSubmission.objects.create(
            achievement=achievement, requirement_id=requirement_id, context=context, learner=learner, text=text,
            url=url, file_name=_safe_name(file_name, media_type) if media_type else "", file_type=media_type,
            file_data=file_data if media_type else None,
            file_sha256=hashlib.sha256(file_data).hexdigest() if media_type else "", submitted_at=now)
        fact_record(context=context, learner=learner, kind="evidence", key=badge_fact_key(achievement, requirement_id),
                    value={"state": "submitted"}, source=SOURCE, observed_at=now, now=now)
    return submission


def evidence_review(*, submission: EvidenceSubmission, approve: bool, comment: str, reviewer: str,
                    now: datetime | None = None) -> EvidenceSubmission:
    """Approve a waiting submission, or return it with a comment saying what to change.

    Raises:
        EvidenceRefusedError: already reviewed, or returned without a comment.
    """
    now = now or timezone.now()
    comment = (comment or "").strip()[:4000]
    if not approve and not comment:
        raise EvidenceRefusedError("say what to change when returning evidence")
    with transaction.atomic():
        locked = EvidenceSubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != EvidenceSubmission.Status.SUBMITTED:
            raise EvidenceRefusedError("this evidence has already been reviewed")
        locked.status = EvidenceSubmission.Status.APPROVED if approve else EvidenceSubmission.Status.RETURNED
        locked.reviewed_at, locked.reviewed_by, locked.review_comment = now, reviewer[:300], comment
        locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment"])
        fact_record(context=locked.context, learner=locked.learner, kind="evidence",
                    key=badge_fact_key(locked.achievement, locked.requirement_id),
                    value={"state": locked.status, "by": reviewer[:300]}, source=SOURCE, observed_at=now, now=now)
    return locked


def grant_record(*, achievement: Achievement, requirement_id: str, context: LtiContext, learner: Learner,
                 roles: set[str], by: str, now: datetime | None = None) -> None:
    """Record a person's sign-off of a manual requirement for a learner (a ``grant`` fact).

    Raises:
        EvidenceRefusedError: no such sign-off requirement, or none of ``roles`` may sign it off.
    """
    now = now or timezone.now()
    wanted = next((item for item in sign_off_requirements(achievement) if item.id == requirement_id), None)
    if wanted is None:
        raise EvidenceRefusedError("this badge has no such sign-off")
    allowed = sorted(wanted.roles & roles)
    if not allowed:
        raise EvidenceRefusedError(f"only {', '.join(sorted(wanted.roles))} may sign this off")
    fact_record(context=context, learner=learner, kind="grant", key=badge_fact_key(achievement, requirement_id),
                value={"role": allowed[0], "by": by[:300]}, source="accolade:grant", observed_at=now, now=now)
