"""Deep Linking 2.0 responses (LTI Deep Linking 2.0 §4.2) built on pylti1p3's DeepLink.

pylti1p3 builds the message body and the content items; we add what it cannot: the ``msg`` /
``errormsg`` claims (so a placement that does not accept ``ltiResourceLink`` gets an explanation
instead of a failure), ``data`` only when the request had it, and signing with our tool key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..models import LtiRegistration, LtiToolKey
from ..services.lti_keys import lti_tool_key_active, lti_tool_key_private_pem
from . import claims as c
from .tool_config import pylti_registration

RESOURCE_LINK = "ltiResourceLink"


def accepts_resource_links(settings: Mapping[str, Any]) -> bool:
    """Return True when the placement accepts ``ltiResourceLink`` content items."""
    accept = settings.get("accept_types")
    return isinstance(accept, list) and RESOURCE_LINK in accept


def accepts_line_items(settings: Mapping[str, Any]) -> bool:
    """Return False only when the platform said line items will be ignored (``accept_lineitem`` false)."""
    return settings.get("accept_lineitem") not in (False, "false")


class BadgeResource(DeepLinkResource):
    """A content item that also carries ``text`` (DL 2.0 §3.4.1), which pylti1p3 does not emit."""

    text: str = ""

    def to_dict(self) -> dict[str, object]:
        item = super().to_dict()
        if self.text:
            item["text"] = self.text
        return item


def badge_resource(*, title: str, url: str, badge_uuid: str, text: str = "", icon_url: str | None = None,
                   line_item_label: str | None = None) -> DeepLinkResource:
    """Return an ``ltiResourceLink`` content item that launches one badge (``custom.accolade_badge``)."""
    resource = (BadgeResource().set_type(RESOURCE_LINK).set_title(title[:255]).set_url(url)
                .set_custom_params({"accolade_badge": badge_uuid}))
    if icon_url:
        resource.set_icon_url(icon_url)
    if line_item_label:
        resource.set_lineitem(LineItem().set_score_maximum(100).set_label(line_item_label[:255])
                              .set_resource_id(badge_uuid).set_tag("accolade-badge"))
    resource.text = text[:1000]
    return resource


def response_jwt(*, registration: LtiRegistration, deployment_id: str, settings: Mapping[str, Any],
                 resources: Sequence[DeepLinkResource], msg: str = "", errormsg: str = "") -> str:
    """Return the signed ``LtiDeepLinkingResponse`` for the platform's ``deep_link_return_url``."""
    deep_link = DeepLink(pylti_registration(registration), deployment_id, dict(settings))
    message = deep_link.get_message_jwt(resources)
    if "data" in settings:
        message[c.DL_DATA] = settings["data"]
    else:
        message.pop(c.DL_DATA, None)
    if msg:
        message[c.DL_MSG] = msg
    if errormsg:
        message[c.DL_ERRORMSG] = errormsg
    key: LtiToolKey = lti_tool_key_active()
    return jwt.encode(message, lti_tool_key_private_pem(key), algorithm="RS256", headers={"kid": key.kid})
