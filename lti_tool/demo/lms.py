"""A demonstration LMS: just enough of an LTI 1.3 platform to launch Accolade from a course page.

Only served when ``ACCOLADE['DEMO_LMS']`` is on (never in production). It is a real platform as far as
the tool can tell: its own RSA key (kept in ``var/demo-lms-key.pem``), a JWKS, an OIDC authorization
endpoint that answers with an RS256-signed id_token by form post. The tool validates these launches
exactly as it validates a real LMS's; nothing in the tool knows this platform is a demo.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from jwcrypto.jwk import JWK

from ..conf import tool_settings
from ..lti import claims as c
from ..models import LtiResourceLink
from ..services.lti_keys import lti_tool_jwks

CLIENT_ID = "accolade-demo-lms"
DEPLOYMENT_ID = "1"
COURSE = {"id": "demo-course-1", "label": "DATA101", "title": "Data Literacy 101"}
RESOURCE_LINK = {"id": "demo-link-1", "title": "Data Literacy badge"}
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@dataclass(frozen=True)
class Persona:
    sub: str
    name: str
    email: str
    role: str


PERSONAS = {
    "ada": Persona("ada", "Ada Lovelace", "ada@demo.example.edu", "Learner"),
    "noah": Persona("noah", "Noah Newcomer", "noah@demo.example.edu", "Learner"),
    "tina": Persona("tina", "Tina Teacher", "tina@demo.example.edu", "Instructor"),
}


def demo_issuer() -> str:
    return f"{tool_settings.public_url}/demo-lms"


def _key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-lms-key.pem"


def demo_private_key_pem() -> bytes:
    """Return the demo platform's private key, creating it on first use (demo only, never production)."""
    path = _key_path()
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
    return path.read_bytes()


def _public_jwk() -> dict:
    jwk = JWK.from_pem(demo_private_key_pem())
    public = json.loads(jwk.export_public())
    public.update({"kid": jwk.thumbprint(), "alg": "RS256", "use": "sig"})
    return public


def _enabled() -> None:
    if not tool_settings.DEMO_LMS:
        raise Http404("the demonstration LMS is off")


def course(request: HttpRequest) -> HttpResponse:
    """Show the demo course page; the chosen persona's LTI launch opens in the frame below."""
    _enabled()
    persona = PERSONAS.get(request.GET.get("as", ""))
    login_url = None
    if persona is not None:
        login_url = f"{tool_settings.public_url}/lti/login?" + urlencode({
            "iss": demo_issuer(), "login_hint": persona.sub, "client_id": CLIENT_ID,
            "target_link_uri": f"{tool_settings.public_url}/lti/launch", "lti_deployment_id": DEPLOYMENT_ID,
            "lti_message_hint": request.GET.get("message", "resource")})
    return render(request, "lti_tool/demo_lms/course.html", {
        "course": COURSE, "personas": PERSONAS.values(), "persona": persona, "login_url": login_url})


def jwks(request: HttpRequest) -> JsonResponse:
    """Serve the demo platform's public key set."""
    _enabled()
    return JsonResponse({"keys": [_public_jwk()]})


@xframe_options_sameorigin  # a real LMS lets its own course page frame its authorization step
def authorize(request: HttpRequest) -> HttpResponse:
    """Answer the tool's OIDC authorization request with a signed id_token (LTI Core 1.3 §5.1.1.2)."""
    _enabled()
    params = request.GET
    persona = PERSONAS.get(params.get("login_hint", ""))
    redirect_uri = params.get("redirect_uri", "")
    if persona is None or params.get("client_id") != CLIENT_ID or \
            redirect_uri != f"{tool_settings.public_url}/lti/launch" or not params.get("nonce"):
        return HttpResponse("Demo LMS: this authorization request is not for a demo launch.", status=400,
                            content_type="text/plain")
    now = int(time.time())
    deep_linking = params.get("lti_message_hint") == "deep-link"
    body = {
        "iss": demo_issuer(), "aud": CLIENT_ID, "sub": persona.sub, "nonce": params["nonce"], "iat": now,
        "exp": now + 60, "name": persona.name, "email": persona.email,
        c.DEPLOYMENT_ID: DEPLOYMENT_ID, c.VERSION: "1.3.0",
        c.TARGET_LINK_URI: f"{tool_settings.public_url}/lti/launch",
        c.ROLES: [LIS + persona.role], c.CONTEXT: {**COURSE, "type": ["CourseSection"]},
        c.TOOL_PLATFORM: {"product_family_code": "accolade-demo-lms", "name": "Accolade demo LMS"},
    }
    if deep_linking:
        body[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
        body[c.DL_SETTINGS] = {"deep_link_return_url": f"{demo_issuer()}/deep-link-return",
                               "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets":
                               ["iframe"], "accept_multiple": False, "data": str(uuid.uuid4())}
    else:
        link = LtiResourceLink.objects.filter(resource_link_id=RESOURCE_LINK["id"],
                                              deployment__registration__client_id=CLIENT_ID).first()
        body[c.MESSAGE_TYPE] = c.RESOURCE_LINK_REQUEST
        body[c.RESOURCE_LINK] = RESOURCE_LINK
        if link is not None and link.achievement is not None:
            body[c.CUSTOM] = {"accolade_badge": str(link.achievement.uuid)}
    token = jwt.encode(body, demo_private_key_pem(), algorithm="RS256", headers={"kid": _public_jwk()["kid"]})
    return render(request, "lti_tool/demo_lms/form_post.html",
                  {"action": redirect_uri, "id_token": token, "state": params.get("state", "")})


@csrf_exempt
@xframe_options_sameorigin
def deep_link_return(request: HttpRequest) -> HttpResponse:
    """Show what the tool sent back from Deep Linking (a real LMS would create the activity)."""
    _enabled()
    token = request.POST.get("JWT", "")
    error = ""
    try:  # check the response as a platform must (LTI Deep Linking 2.0 §4.2): tool key, audience, expiry
        kid = jwt.get_unverified_header(token).get("kid")
        key = next(k for k in lti_tool_jwks()["keys"] if k["kid"] == kid)
        claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=demo_issuer(),
                            issuer=CLIENT_ID)
    except (jwt.InvalidTokenError, StopIteration) as exc:
        claims, error = {}, f"The response was refused: {exc or 'unknown signing key'}."
    return render(request, "lti_tool/demo_lms/deep_link_return.html",
                  {"items": claims.get(c.DL_CONTENT_ITEMS, []), "claims": json.dumps(claims, indent=2),
                   "error": error}, status=400 if error else 200)
