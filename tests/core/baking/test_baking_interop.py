"""Interoperability with openbadges-bakery 2.0.0, the OB 2.0 reference bakery written by others.

bakery works with file objects: ``png_bakery.bake(file, text)`` and ``svg_bakery.bake(file, text)`` return a
NamedTemporaryFile; ``utils.unbake(file)`` returns the text (SVG: the ``verify`` attribute if present, else the
CDATA body). It knows only OB 2.0 (keyword ``openbadges``, element ``openbadges:assertion``).
"""

from __future__ import annotations

import io
import json

import pytest
from openbadges_bakery import png_bakery, svg_bakery, utils

from lti_tool.core.baking import BakedPayload, bake_png, bake_svg, unbake
from tests.core.baking.baking_testkit import JWS, SIMPLE_SVG, make_png, walk_chunks

pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986")]

ASSERTION_ID = "https://issuer.example.org/assertions/42"
ASSERTION = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION_ID,
        "recipient": {"type": "email", "hashed": False, "identity": "zoë@example.org"},
        "badge": "https://issuer.example.org/badges/5",
        "verification": {"type": "hosted"},
        "issuedOn": "2024-05-01T12:00:00+00:00",
        "narrative": "Café 数据 ✓",
    },
    ensure_ascii=False,
)


def bakery_bake(bake, image: bytes, text: str) -> bytes:
    baked_file = bake(io.BytesIO(image), text)
    try:
        return baked_file.read()
    finally:
        baked_file.close()


def bakery_unbake(image: bytes) -> str | None:
    return utils.unbake(io.BytesIO(image))


@pytest.mark.parametrize("text", [ASSERTION, JWS, ASSERTION_ID], ids=["assertion-json", "jws", "hosted-url"])
def test_png_baked_by_bakery_unbakes_with_ours(text):
    baked = bakery_bake(png_bakery.bake, make_png(), text)
    assert [t for t, _ in walk_chunks(baked)] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    assert unbake(baked) == BakedPayload("png", "2.0", text)


@pytest.mark.parametrize("text", [ASSERTION, JWS], ids=["assertion-json", "jws"])
def test_svg_baked_by_bakery_unbakes_with_ours(text):
    baked = bakery_bake(svg_bakery.bake, SIMPLE_SVG.encode("utf-8"), text)
    assert b"<openbadges:assertion" in baked
    assert unbake(baked) == BakedPayload("svg", "2.0", text)


def test_svg_baked_by_bakery_hosted_url_unbakes_with_ours():
    baked = bakery_bake(svg_bakery.bake, SIMPLE_SVG.encode("utf-8"), ASSERTION_ID)
    assert unbake(baked) == BakedPayload("svg", "2.0", ASSERTION_ID)


@pytest.mark.parametrize("text", [ASSERTION, JWS, ASSERTION_ID], ids=["assertion-json", "jws", "hosted-url"])
def test_our_ob2_png_unbakes_with_bakery(text):
    baked = bake_png(make_png(), text, ob_version="2.0")
    assert utils.check_image_type(io.BytesIO(baked)) == "PNG"
    assert bakery_unbake(baked) == text


def test_our_rebaked_ob2_png_unbakes_with_bakery():
    baked = bake_png(bake_png(make_png(), JWS, ob_version="2.0"), ASSERTION, ob_version="2.0")
    assert bakery_unbake(baked) == ASSERTION


@pytest.mark.parametrize("text", [JWS, ASSERTION_ID], ids=["jws", "hosted-url"])
def test_our_ob2_svg_verify_unbakes_with_bakery(text):
    baked = bake_svg(SIMPLE_SVG, text, ob_version="2.0")
    assert utils.check_image_type(io.BytesIO(baked)) == "SVG"
    assert bakery_unbake(baked) == text


def test_our_ob2_svg_assertion_unbakes_with_bakery():
    baked = bake_svg(SIMPLE_SVG, ASSERTION, ob_version="2.0", verify_url=ASSERTION_ID)
    # bakery returns the verify attribute when there is one: the hosted assertion URL (its own
    # tests expect the same for its own bakes).
    assert bakery_unbake(baked) == ASSERTION_ID
    assert unbake(baked).text == ASSERTION


def test_bakery_bake_over_our_bake_still_has_one_credential():
    ours = bake_png(make_png(), JWS, ob_version="2.0")
    theirs = bakery_bake(png_bakery.bake, ours, ASSERTION)
    assert unbake(theirs) == BakedPayload("png", "2.0", ASSERTION)
