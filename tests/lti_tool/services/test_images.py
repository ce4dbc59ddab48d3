"""Uploaded badge images: broken PNGs and hostile SVGs are refused or cleaned."""


import pytest

from lti_tool.models import StoredImage
from lti_tool.services.errors import ImageRejectedError
from lti_tool.services.images import image_store
from tests.core.baking.baking_testkit import make_png


def png(width=2, height=2) -> bytes:
    return make_png(width, height)


def test_png_is_stored_once_with_its_size(db):
    first = image_store(data=png(), content_type="image/png")
    second = image_store(data=png())
    assert first.pk == second.pk and (first.width, first.height) == (2, 2)


def test_svg_is_sanitized_before_storage(db):
    hostile = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
               b'<image href="https://tracker.example/p.png"/><circle r="4"/></svg>')
    stored = image_store(data=hostile)
    data = bytes(stored.data)
    assert b"script" not in data and b"onload" not in data and b"tracker.example" not in data
    assert b"circle" in data


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"GIF89a....", "PNG or SVG"),
    (png()[:30], "image rejected"),
    (png()[:-5] + b"\x00\x00\x00\x00\x00", "image rejected"),
    (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "image rejected"),
])
def test_broken_or_hostile_images_are_refused(db, data, message):
    with pytest.raises(ImageRejectedError, match=message):
        image_store(data=data)
    assert StoredImage.objects.count() == 0


def test_declared_type_must_match_content(db):
    with pytest.raises(ImageRejectedError, match="says it is image/svg"):
        image_store(data=png(), content_type="image/svg+xml")


def test_oversized_image_is_refused(db, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "IMAGE_MAX_BYTES": 100}
    with pytest.raises(ImageRejectedError, match="larger than"):
        image_store(data=png(40, 40))
