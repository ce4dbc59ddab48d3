"""LTI 1.3 claim names (LTI Core 1.3 §5, AGS 2.0, NRPS 2.0, Deep Linking 2.0) and small readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
LIS = LTI + "lis"
CUSTOM = LTI + "custom"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
DL_LOG = "https://purl.imsglobal.org/spec/lti-dl/claim/log"
DL_ERRORLOG = "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
SUPPORTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)


def text(claims: Mapping[str, Any], name: str) -> str:
    """Return a string claim, or "" when absent or not a string."""
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def section(claims: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """Return an object claim, or {} when absent or not an object."""
    value = claims.get(name)
    return value if isinstance(value, Mapping) else {}
