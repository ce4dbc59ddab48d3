"""Format detection for unbake(): PNG by signature, SVG by sniffing, anything else refused."""

from __future__ import annotations

import random

import pytest

from lti_tool.core.baking import (
    MAX_IMAGE_BYTES,
    BakedPayload,
    BakingError,
    NotBakedError,
    bake_png,
    bake_svg,
    unbake,
)
from lti_tool.core.baking.detect import looks_like_svg
from tests.core.baking.baking_testkit import JWS, SIMPLE_SVG, SVG_NS, credential_json, make_png


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_unbake_dispatches_png(version):
    assert unbake(bake_png(make_png(), JWS, ob_version=version)) == BakedPayload("png", version, JWS)


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_unbake_dispatches_svg(version):
    text = credential_json()
    verify_url = "https://issuer.example.org/a/1" if version == "2.0" else None
    baked = bake_svg(SIMPLE_SVG, text, ob_version=version, verify_url=verify_url)
    assert unbake(baked) == BakedPayload("svg", version, text)


@pytest.mark.parametrize(
    "prefix",
    [
        b"",
        b"\xef\xbb\xbf",
        b"\n\t  ",
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
        b"\xef\xbb\xbf<?xml version='1.0'?><!-- Generator: Adobe Illustrator -->\n<!-- second -->",
        b'<?xml-stylesheet href="#x"?>',
    ],
    ids=["bare", "bom", "whitespace", "declaration", "bom-declaration-comments", "processing-instruction"],
)
def test_unbake_sniffs_svg_after_prolog(prefix):
    baked = bake_svg(SIMPLE_SVG, JWS)
    body = baked[baked.index(b"<svg") :]
    assert unbake(prefix + body).text == JWS


def test_sniffing_sees_prefixed_root_and_svg_doctype():
    assert looks_like_svg(f'<s:svg xmlns:s="{SVG_NS}"/>'.encode())
    assert looks_like_svg(b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">')
    assert not looks_like_svg(b"<svgx/>")
    assert not looks_like_svg(b"<!-- unterminated comment <svg>")
    assert not looks_like_svg(b"<?xml never closed <svg>")


def test_unbake_routes_svg_doctype_to_the_svg_parser():
    with pytest.raises(BakingError, match="must not contain a DOCTYPE"):
        unbake(b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg/>')


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"<html><body>hi</body></html>",
        b'{"not": "an image"}',
        b"\x89PNX\r\n\x1a\n",
        "<svg/>".encode("utf-16"),
    ],
    ids=["gif", "jpeg", "html", "json", "almost-png", "utf16-svg"],
)
def test_unbake_refuses_other_formats(data):
    with pytest.raises(BakingError, match=r"^not a PNG or SVG image$"):
        unbake(data)


def test_unbake_refuses_empty_and_oversize_input_before_sniffing():
    with pytest.raises(BakingError, match="empty"):
        unbake(b"")
    with pytest.raises(BakingError, match=f"the limit is {MAX_IMAGE_BYTES} bytes"):
        unbake(b"<svg" + b" " * MAX_IMAGE_BYTES)


def test_unbake_refuses_non_bytes():
    with pytest.raises(BakingError, match="must be bytes"):
        unbake(SIMPLE_SVG)  # type: ignore[arg-type]


def test_unbake_of_unbaked_images_raises_not_baked():
    with pytest.raises(NotBakedError, match="PNG"):
        unbake(make_png())
    with pytest.raises(NotBakedError, match="SVG"):
        unbake(SIMPLE_SVG.encode())


BAKED_PNG = bake_png(make_png(), credential_json())
BAKED_SVG = bake_svg(SIMPLE_SVG, credential_json())


def mutations(original: bytes, seed: int, count: int = 400):
    """Yield copies of ``original`` with a few random bytes overwritten, inserted or deleted (seeded, repeatable)."""
    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            action = rng.choice(("overwrite", "insert", "delete"))
            junk = rng.randbytes(rng.randint(1, 8))
            if action == "overwrite":
                data[position : position + len(junk)] = junk
            elif action == "insert":
                data[position:position] = junk
            else:
                del data[position : position + len(junk)]
        yield bytes(data)


@pytest.mark.parametrize(("original", "seed"), [(BAKED_PNG, 1), (BAKED_SVG, 2)], ids=["png", "svg"])
def test_mutated_images_raise_only_baking_error(original, seed):
    for mutated in mutations(original, seed):
        try:
            unbake(mutated)
        except BakingError:
            pass


def test_random_bytes_raise_only_baking_error():
    rng = random.Random(3)
    for _ in range(300):
        data = rng.randbytes(rng.randint(0, 300))
        for candidate in (data, b"\x89PNG\r\n\x1a\n" + data, b"<svg " + data):
            with pytest.raises(BakingError):
                unbake(candidate)
