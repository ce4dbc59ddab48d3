"""Deep Linking 2.0 responses (1EdTech LTI Deep Linking 2.0 §4.2) built on pylti1p3's DeepLink.

pylti1p3 2.0.0 builds the message envelope: ``iss`` = our client_id, ``aud`` = the platform issuer,
``nonce``, ``iat``/``exp``, ``deployment_id``, ``message_type``, ``version`` and ``content_items``.
It misses what the spec allows or asks for (research lti.md §2.4), so we add it here:

* ``msg`` / ``log`` and ``errormsg`` / ``errorlog`` (§4.2): a placement that does not accept
  ``ltiResourceLink`` gets an explanation instead of a failure;
* ``data`` echoed only when the request carried it (pylti1p3 sends ``null`` otherwise);
* on the ``ltiResourceLink`` item: ``text``, an ``icon`` with its size when known, and the
  ``iframe`` or ``window`` presentation picked from ``accept_presentation_document_targets``
  (pylti1p3 stores ``set_target`` but never emits it);
* a ``lineItem`` {scoreMaximum, label, resourceId, tag} only when the platform does not say it
  ignores line items (``accept_lineitem`` false);
* signing with the tool's active key, whose ``kid`` is published at /lti/jwks.

Custom parameter names stay lower-case ``[a-z0-9_]`` because Moodle stores a content item's
``custom`` as ``key=value`` lines and maps every other character of a key to ``_`` at launch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..models import LtiRegistration, LtiToolKey
from ..services.lti_keys import lti_tool_key_active, lti_tool_key_private_pem
from . import claims as c
from .tool_config import pylti_registration

RESOURCE_LINK = "ltiResourceLink"
BADGE_PARAMETER = "accolade_badge"
LINE_ITEM_TAG = "accolade-badge"
# A badge is earned or not: the column holds 100 when earned (Moodle's default grade maximum too).
LINE_ITEM_MAXIMUM = 100
IFRAME_HEIGHT = 800
WINDOW_TARGET = "accolade"
TITLE_MAX = 255
TEXT_MAX = 1000


class DeepLinkingRefused(Exception):
    """Raise when a Deep Linking request cannot be answered at all (no usable return URL)."""


def return_url(settings: Mapping[str, Any]) -> str:
    """Return the platform's ``deep_link_return_url``, which must be an http(s) URL.

    Raises:
        DeepLinkingRefused: missing, or another scheme (a ``javascript:`` form action would run here).
    """
    url = settings.get("deep_link_return_url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise DeepLinkingRefused("the LMS sent no usable deep_link_return_url; start again from the course")
    return url


def accepts_resource_links(settings: Mapping[str, Any]) -> bool:
    """Return True when the placement accepts ``ltiResourceLink`` content items (``accept_types``)."""
    accept = settings.get("accept_types")
    return isinstance(accept, list) and RESOURCE_LINK in accept


def accepts_line_items(settings: Mapping[str, Any]) -> bool:
    """Return False only when the platform said line items will be ignored (``accept_lineitem`` false).

    DL 2.0: "If the field is not present, no assumption can be made", so an absent field still lets
    the instructor ask for a gradebook column.
    """
    return settings.get("accept_lineitem") not in (False, "false")


def creates_at_once(settings: Mapping[str, Any]) -> bool:
    """Return True when the platform adds the returned item without asking again (``auto_create``)."""
    return settings.get("auto_create") in (True, "true")


def presentation(settings: Mapping[str, Any]) -> str | None:
    """Pick how the link opens: ``iframe`` (the pages are built for it), else ``window``, else nothing."""
    targets = settings.get("accept_presentation_document_targets")
    targets = targets if isinstance(targets, list) else []
    for target in ("iframe", "window"):
        if target in targets:
            return target
    return None


class BadgeResource(DeepLinkResource):
    """An ``ltiResourceLink`` item with what pylti1p3 does not emit: text, icon size, iframe/window."""

    def __init__(self) -> None:
        self._text = ""
        self._icon_size: tuple[int, int] | None = None
        self._presentation: str | None = None

    def set_text(self, value: str) -> BadgeResource:
        self._text = value
        return self

    def set_icon_size(self, width: int | None, height: int | None) -> BadgeResource:
        self._icon_size = (width, height) if width and height else None
        return self

    def set_presentation(self, target: str | None) -> BadgeResource:
        self._presentation = target
        return self

    def to_dict(self) -> dict[str, object]:
        item = super().to_dict()
        if self._text:
            item["text"] = self._text
        if self._icon_size and "icon" in item:
            item["icon"] = {**item["icon"], "width": self._icon_size[0], "height": self._icon_size[1]}
        if self._presentation == "iframe":
            item["iframe"] = {"height": IFRAME_HEIGHT}
        elif self._presentation == "window":
            item["window"] = {"targetName": WINDOW_TARGET}
        return item


def badge_resource(*, title: str, url: str, badge_uuid: str, text: str = "", icon_url: str | None = None,
                   icon_size: tuple[int | None, int | None] = (None, None), line_item: bool = False,
                   target: str | None = None) -> BadgeResource:
    """Return the ``ltiResourceLink`` content item that launches one badge (``custom.accolade_badge``)."""
    resource = BadgeResource()
    resource.set_type(RESOURCE_LINK).set_title(title[:TITLE_MAX]).set_url(url)
    resource.set_custom_params({BADGE_PARAMETER: badge_uuid})
    if icon_url:
        resource.set_icon_url(icon_url)
        resource.set_icon_size(*icon_size)
    if line_item:
        resource.set_lineitem(LineItem().set_score_maximum(LINE_ITEM_MAXIMUM).set_label(title[:TITLE_MAX])
                              .set_resource_id(badge_uuid).set_tag(LINE_ITEM_TAG))
    resource.set_text(text[:TEXT_MAX]).set_presentation(target)
    return resource


def response_message(*, registration: LtiRegistration, deployment_id: str, settings: Mapping[str, Any],
                     resources: Sequence[DeepLinkResource], msg: str = "", log: str = "", errormsg: str = "",
                     errorlog: str = "") -> dict[str, Any]:
    """Return the claims of the ``LtiDeepLinkingResponse`` (unsigned)."""
    deep_link = DeepLink(pylti_registration(registration), deployment_id, dict(settings))
    message = deep_link.get_message_jwt(resources)
    if "data" in settings:
        message[c.DL_DATA] = settings["data"]
    else:
        message.pop(c.DL_DATA, None)
    for claim, value in ((c.DL_MSG, msg), (c.DL_LOG, log), (c.DL_ERRORMSG, errormsg), (c.DL_ERRORLOG, errorlog)):
        if value:
            message[claim] = value
    return message


def response_jwt(*, registration: LtiRegistration, deployment_id: str, settings: Mapping[str, Any],
                 resources: Sequence[DeepLinkResource], msg: str = "", log: str = "", errormsg: str = "",
                 errorlog: str = "") -> str:
    """Return the signed ``LtiDeepLinkingResponse`` to post to the platform's ``deep_link_return_url``."""
    message = response_message(registration=registration, deployment_id=deployment_id, settings=settings,
                               resources=resources, msg=msg, log=log, errormsg=errormsg, errorlog=errorlog)
    key: LtiToolKey = lti_tool_key_active()
    return jwt.encode(message, lti_tool_key_private_pem(key), algorithm="RS256", headers={"kid": key.kid})
