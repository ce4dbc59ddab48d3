"""SVG baking: OB 3.0 §5.3.2 / OB 2.0 Baking §SVGs, safe parsing and sanitisation of hostile SVGs."""

from __future__ import annotations

import re
import time
from xml.dom import Node

import pytest
from defusedxml import minidom

from lti_tool.core.baking import (
    MAX_IMAGE_BYTES,
    MAX_SVG_DEPTH,
    MAX_SVG_ELEMENTS,
    MAX_SVG_NODES,
    BakedPayload,
    BakingError,
    NotBakedError,
    bake_svg,
    sanitize_svg,
    unbake_svg,
)
from tests.core.baking.baking_testkit import ASSERTION_URL, JWS, OB2_NS, OB3_NS, SIMPLE_SVG, SVG_NS, credential_json

ELEMENT = {"3.0": (OB3_NS, "credential"), "2.0": (OB2_NS, "assertion")}
PAYLOADS = {
    "json-ascii": credential_json("Teamwork"),
    "json-non-ascii": credential_json("Café 数据 ✓"),
    "json-200kb": credential_json("Café 数据 ✓", padding=200_000),
    "json-cdata-terminator": credential_json("a]]>b]]]]>c]]"),
    "json-crlf-and-tabs": '{\r\n\t"name": "x",\r\r\n  "n": 1\n}\r\n',
    "json-trailing-cr": '{"a": 1}\r',
    "jws": JWS,
}


def bake(svg, text, version):
    verify_url = "https://issuer.example.org/assertions/123" if version == "2.0" and text.startswith("{") else None
    return bake_svg(svg, text, ob_version=version, verify_url=verify_url)


def parse(data: bytes):
    document = minidom.parseString(data, forbid_dtd=True)
    assert document.documentElement.namespaceURI == SVG_NS
    assert document.documentElement.localName == "svg"
    return document


def credential_elements(document, version):
    namespace, name = ELEMENT[version]
    return document.getElementsByTagNameNS(namespace, name)


def svg(body: str, *, root_attributes: str = "", prolog: str = "") -> str:
    return (
        f'{prolog}<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" {root_attributes}>'
        f'<rect id="keep" width="10" height="10" fill="#0a0"/>{body}</svg>'
    )


# --- round trips and structure -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.0", "2.0"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "str"])
def test_svg_round_trip_is_byte_exact(version, payload, as_text):
    source = SIMPLE_SVG if as_text else SIMPLE_SVG.encode("utf-8")
    baked = bake(source, payload, version)
    assert isinstance(baked, bytes)
    assert unbake_svg(baked) == BakedPayload("svg", version, payload)
    assert unbake_svg(baked.decode("utf-8")) == BakedPayload("svg", version, payload)


def test_svg_ob2_round_trip_of_hosted_url():
    baked = bake_svg(SIMPLE_SVG, ASSERTION_URL, ob_version="2.0")
    assert unbake_svg(baked) == BakedPayload("svg", "2.0", ASSERTION_URL)
    assert parse(baked).getElementsByTagNameNS(OB2_NS, "assertion")[0].getAttribute("verify") == ASSERTION_URL


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_svg_credential_is_first_child_and_prefix_is_declared_on_root(version):
    document = parse(bake(SIMPLE_SVG, JWS, version))
    root = document.documentElement
    namespace, name = ELEMENT[version]
    assert root.getAttribute("xmlns:openbadges") == namespace
    first = root.firstChild
    assert (first.namespaceURI, first.localName, first.tagName) == (namespace, name, f"openbadges:{name}")


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_svg_jws_goes_in_verify_of_an_empty_element(version):
    element = credential_elements(parse(bake(SIMPLE_SVG, JWS, version)), version)[0]
    assert element.getAttribute("verify") == JWS
    assert element.childNodes == []


def test_svg_ob3_json_goes_in_cdata_without_verify():
    text = credential_json()
    baked = bake_svg(SIMPLE_SVG, text)
    element = credential_elements(parse(baked), "3.0")[0]
    assert not element.hasAttribute("verify")
    assert [n.nodeType for n in element.childNodes] == [Node.CDATA_SECTION_NODE]
    assert element.firstChild.data == text
    assert b"<openbadges:credential><![CDATA[{" in baked


def test_svg_ob2_json_goes_in_cdata_with_verify_url():
    text = credential_json()
    baked = bake_svg(SIMPLE_SVG, text, ob_version="2.0", verify_url=ASSERTION_URL)
    element = credential_elements(parse(baked), "2.0")[0]
    assert element.getAttribute("verify") == ASSERTION_URL
    assert element.firstChild.nodeType == Node.CDATA_SECTION_NODE
    assert element.firstChild.data == text


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_svg_baking_twice_replaces(version):
    once = bake(SIMPLE_SVG, credential_json("alpha"), version)
    twice = bake(once, credential_json("omega"), version)
    assert unbake_svg(twice).text == credential_json("omega")
    assert len(credential_elements(parse(twice), version)) == 1
    assert len(twice) == len(once)


def test_svg_baking_other_version_replaces_because_both_bind_the_same_prefix():
    ob3 = bake_svg(SIMPLE_SVG, JWS)
    ob2 = bake_svg(ob3, ASSERTION_URL, ob_version="2.0")
    document = parse(ob2)
    assert len(credential_elements(document, "3.0")) == 0
    assert len(credential_elements(document, "2.0")) == 1
    assert unbake_svg(ob2) == BakedPayload("svg", "2.0", ASSERTION_URL)


def test_svg_bake_keeps_the_drawing():
    def shape(document):
        out = []
        for element in document.getElementsByTagName("*"):
            attributes = sorted((a.name, a.value) for a in element.attributes.values())
            texts = [c.data for c in element.childNodes if c.nodeType == Node.TEXT_NODE and c.data.strip()]
            out.append((element.tagName, attributes, texts))
        return out

    baked = parse(bake_svg(SIMPLE_SVG, JWS))
    credential = credential_elements(baked, "3.0")[0]
    credential.parentNode.removeChild(credential)
    baked.documentElement.removeAttribute("xmlns:openbadges")
    assert shape(baked) == shape(minidom.parseString(SIMPLE_SVG.encode()))
    assert shape(parse(sanitize_svg(SIMPLE_SVG))) == shape(minidom.parseString(SIMPLE_SVG.encode()))


def test_svg_unbake_reads_the_spec_examples_with_whitespace():
    ob3 = svg(
        f"<openbadges:credential>\n  <![CDATA[{credential_json()}]]>\n</openbadges:credential>",
        root_attributes=f'xmlns:openbadges="{OB3_NS}"',
    )
    assert unbake_svg(ob3).text == credential_json()
    ob2 = svg(
        f'<openbadges:assertion verify="{ASSERTION_URL.replace("&", "&amp;")}"/>',
        root_attributes=f'xmlns:openbadges="{OB2_NS}"',
    )
    assert unbake_svg(ob2) == BakedPayload("svg", "2.0", ASSERTION_URL)


def test_svg_unbake_accepts_any_prefix_and_plain_text_body():
    document = svg(f'<ob:credential xmlns:ob="{OB3_NS}"> {{&quot;a&quot;: 1}} </ob:credential>')
    assert unbake_svg(document).text == '{"a": 1}'


def test_svg_unbake_prefers_ob3_and_verify_for_ob3():
    both = svg(
        f'<o3:credential xmlns:o3="{OB3_NS}" verify="{JWS}"><![CDATA[{{}}]]></o3:credential>'
        f'<o2:assertion xmlns:o2="{OB2_NS}" verify="{ASSERTION_URL.replace("&", "&amp;")}"/>'
    )
    assert unbake_svg(both) == BakedPayload("svg", "3.0", JWS)


def test_svg_without_credential_is_not_baked():
    with pytest.raises(NotBakedError, match=r"^no Open Badges credential is baked into this SVG$"):
        unbake_svg(SIMPLE_SVG)


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_svg_two_credential_elements_are_refused(version):
    namespace, name = ELEMENT[version]
    element = f'<openbadges:{name} verify="{JWS}"/>'
    two = svg(element + "<g>" + element + "</g>", root_attributes=f'xmlns:openbadges="{namespace}"')
    with pytest.raises(BakingError, match=f"2 <openbadges:{name}> elements; the spec allows only one"):
        unbake_svg(two)


def test_svg_empty_credential_element_is_refused():
    with pytest.raises(BakingError, match="neither a verify attribute nor a body"):
        unbake_svg(
            svg("<openbadges:credential> </openbadges:credential>", root_attributes=f'xmlns:openbadges="{OB3_NS}"')
        )


def test_svg_oversized_credential_text_is_refused():
    big = svg(
        f'<openbadges:credential verify="{"a" * (1024 * 1024 + 1)}"/>', root_attributes=f'xmlns:openbadges="{OB3_NS}"'
    )
    with pytest.raises(BakingError, match="more than 1048576 bytes"):
        unbake_svg(big)


# --- bake arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version", "verify_url", "message"),
    [
        (credential_json(), "2.0", None, "needs verify_url"),
        (credential_json(), "2.0", "javascript:alert(1)", "absolute http"),
        (credential_json(), "2.0", "https://a.example/ x", "absolute http"),
        (credential_json(), "3.0", ASSERTION_URL, "only used when baking OB 2.0"),
        (JWS, "2.0", ASSERTION_URL, "only used when baking OB 2.0"),
        (ASSERTION_URL, "3.0", None, "Compact JWS"),
        ('{"a": "\x01"}', "3.0", None, "not valid JSON"),
        ('{"a": "\ufffe"}', "3.0", None, "U\\+FFFE, which XML cannot carry"),
        ('{"a": "\uffff"}', "2.0", ASSERTION_URL, "U\\+FFFF, which XML cannot carry"),
        ("", "3.0", None, "empty"),
    ],
)
def test_svg_bake_rejects_bad_arguments(text, version, verify_url, message):
    with pytest.raises(BakingError, match=message):
        bake_svg(SIMPLE_SVG, text, ob_version=version, verify_url=verify_url)


def test_svg_bake_refuses_foreign_binding_of_openbadges_prefix():
    foreign = svg("<openbadges:x/>", root_attributes='xmlns:openbadges="urn:example:other"')
    with pytest.raises(BakingError, match="already binds the prefix 'openbadges'"):
        bake_svg(foreign, JWS)


def test_svg_bake_refuses_output_above_image_limit():
    padded = svg(f"<desc>{'x' * (MAX_IMAGE_BYTES - 100_000)}</desc>")
    with pytest.raises(BakingError, match="baked SVG would be"):
        bake_svg(padded, credential_json(padding=200_000))


# --- hostile parsing -----------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + f']>\n<svg xmlns="{SVG_NS}"><text>&lol9;</text></svg>'
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    f'<svg xmlns="{SVG_NS}"><text>&x;</text></svg>'
)
PLAIN_DOCTYPE = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    f'<svg xmlns="{SVG_NS}"><rect width="1" height="1"/></svg>'
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]>\n'
    f'<svg xmlns="{SVG_NS}"/>'
)


def nested(depth: int) -> str:
    return f'<svg xmlns="{SVG_NS}">' + "<g>" * (depth - 1) + "</g>" * (depth - 1) + "</svg>"


def many(count: int) -> str:
    return f'<svg xmlns="{SVG_NS}">' + "<g/>" * (count - 1) + "</svg>"


HOSTILE_SVGS = {
    "billion-laughs": (BILLION_LAUGHS, "must not contain a DOCTYPE"),
    "xxe": (XXE, "must not contain a DOCTYPE"),
    "plain-doctype": (PLAIN_DOCTYPE, "must not contain a DOCTYPE"),
    "parameter-entity": (PARAMETER_ENTITY, "must not contain a DOCTYPE"),
    "not-well-formed": (f'<svg xmlns="{SVG_NS}"><g></svg>', "not well-formed XML: mismatched tag at line 1"),
    "undeclared-prefix": (f'<svg xmlns="{SVG_NS}"><x:g/></svg>', "not well-formed XML: unbound prefix"),
    "text-only": ("just text", "not well-formed"),
    "empty": (b"", "empty"),
    "svg-without-namespace": ("<svg><rect/></svg>", "root element must be <svg> in http://www.w3.org/2000/svg"),
    "svg-wrong-namespace": ('<svg xmlns="urn:x"/>', "root element must be <svg>"),
    "html-root": ('<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>', "found <html>"),
    "too-deep": (nested(MAX_SVG_DEPTH + 1), f"more than {MAX_SVG_DEPTH} levels deep"),
    "too-many-elements": (many(MAX_SVG_ELEMENTS + 1), f"more than {MAX_SVG_ELEMENTS} elements"),
    "too-many-comments": (svg("<!---->" * MAX_SVG_NODES), f"more than {MAX_SVG_NODES} nodes"),
    "too-many-processing-instructions": (svg("<?p?>" * MAX_SVG_NODES), f"more than {MAX_SVG_NODES} nodes"),
    "too-many-cdata-sections": (svg("<text>" + "<![CDATA[x]]>" * MAX_SVG_NODES + "</text>"), "nodes"),
    "too-many-attributes": (svg("<g " + " ".join(f"a{i}='1'" for i in range(MAX_SVG_NODES)) + "/>"), "nodes"),
    "huge-bytes": (svg("<desc>" + "x" * MAX_IMAGE_BYTES + "</desc>").encode(), f"the limit is {MAX_IMAGE_BYTES}"),
    "huge-str": (svg("<desc>" + "x" * MAX_IMAGE_BYTES + "</desc>"), f"the limit is {MAX_IMAGE_BYTES}"),
    "huge-multibyte-str": (svg("<desc>" + "é" * (MAX_IMAGE_BYTES // 2) + "</desc>"), "the limit is"),
    "lone-surrogate-str": (svg("<desc>\ud800</desc>"), "not valid Unicode"),
    "not-text": (12345, "must be bytes or str"),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE_SVGS.values(), ids=HOSTILE_SVGS.keys())
@pytest.mark.parametrize("operation", ["unbake", "sanitize", "bake"])
def test_svg_hostile_input_is_refused(operation, data, message):
    run = {"unbake": unbake_svg, "sanitize": sanitize_svg, "bake": lambda image: bake_svg(image, JWS)}[operation]
    with pytest.raises(BakingError, match=message) as caught:
        run(data)
    assert "root:" not in str(caught.value)  # nothing from /etc/passwd leaks into the message


def test_svg_limits_are_inclusive():
    assert sanitize_svg(nested(MAX_SVG_DEPTH))
    assert sanitize_svg(many(MAX_SVG_ELEMENTS))
    # root <svg> with 2 namespace attributes + <rect> with 4 attributes = 8 nodes before the comments
    assert sanitize_svg(svg("<!---->" * (MAX_SVG_NODES - 8)))


def test_svg_removing_many_nodes_stays_fast():
    start = time.monotonic()
    out = sanitize_svg(svg("<?p?>" * (MAX_SVG_NODES - 8)))
    assert b"<?p" not in out
    assert time.monotonic() - start < 10  # one removeChild() per node would be quadratic: minutes


def test_svg_css_scan_stays_fast():
    hostile = svg(f"<style>rect {{ fill: url({' ' * 2_000_000}x }}</style><circle style='fill:url(#g)'/>")
    start = time.monotonic()
    out = sanitize_svg(hostile)
    assert b"<style" not in out
    assert b"url(#g)" in out
    assert time.monotonic() - start < 10  # a backtracking url() regex is quadratic here: hours


def test_svg_truncation_anywhere_is_refused():
    baked = bake_svg(SIMPLE_SVG, credential_json())
    cut_points = range(0, len(baked), 7)
    for length in cut_points:
        with pytest.raises(BakingError):
            unbake_svg(baked[:length])


# --- sanitisation --------------------------------------------------------------------------------------------

DATA_PNG = "data:image/png;base64,iVBORw0KGgo="

# (markup inserted into the drawing, text that must be gone afterwards)
DANGEROUS = {
    "script": ("<script>alert('x')</script>", "alert"),
    "script-cdata": ("<script><![CDATA[alert('x')]]></script>", "alert"),
    "script-upper-case": ("<SCRIPT>alert('x')</SCRIPT>", "alert"),
    "script-xhtml-namespace": ('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>', "alert"),
    "script-nested": ("<g><g><script>alert(1)</script></g></g>", "alert"),
    "foreign-object": (
        '<foreignObject width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>',
        "foreignObject",
    ),
    "iframe": ('<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example/"/>', "evil"),
    "embed": ('<embed src="https://evil.example/x.swf"/>', "evil"),
    "object": ('<object data="https://evil.example/x"/>', "evil"),
    "handler": ('<handler type="application/ecmascript">alert(1)</handler>', "alert"),
    "onload-on-root": ("", "onload"),
    "onclick": ('<circle r="3" onclick="alert(1)"/>', "alert"),
    "onmouseover-mixed-case": ('<circle r="3" ONMouseOver="alert(1)"/>', "alert"),
    "onbegin-on-animation": ('<animate attributeName="opacity" to="1" onbegin="alert(1)"/>', "alert"),
    "href-javascript": ('<a href="javascript:alert(1)"><text>go</text></a>', "javascript"),
    "xlink-href-javascript": ('<a xlink:href="javascript:alert(1)"><text>go</text></a>', "javascript"),
    "href-javascript-obfuscated": ('<a href=" jav&#x09;ascript:alert(1)"><text>go</text></a>', "alert"),
    "href-external-https": ('<a href="https://evil.example/"><text>go</text></a>', "evil.example"),
    "href-protocol-relative": ('<a href="//evil.example/"><text>go</text></a>', "evil.example"),
    "href-space-inside-scheme": ('<image href="da ta:image/png;base64,eA==" width="1" height="1"/>', "da ta"),
    "href-data-html": ('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"><text>x</text></a>', "alert"),
    "image-external": ('<image href="http://evil.example/x.png" width="1" height="1"/>', "evil.example"),
    "image-data-svg": ('<image href="data:image/svg+xml;base64,PHN2Zz4=" width="1" height="1"/>', "svg+xml"),
    "use-external": ('<use href="https://evil.example/sprite.svg#icon"/>', "evil.example"),
    "use-external-relative": ('<use xlink:href="sprite.svg#icon"/>', "sprite.svg"),
    "style-attr-external-url": ('<circle r="3" style="fill:url(https://evil.example/p.svg#g)"/>', "evil.example"),
    "style-attr-escaped-url": ('<circle r="3" style="background:u\\72l(https://evil.example/x)"/>', "evil.example"),
    "style-attr-malformed-url": ('<circle r="3" style="fill:url(#g evil.example)"/>', "evil.example"),
    "style-attr-unterminated-url": ('<circle r="3" style="fill:url(\'#g) evil.example"/>', "evil.example"),
    "presentation-attr-external-url": ('<circle r="3" fill="url(http://evil.example/#g)"/>', "evil.example"),
    "filter-attr-external-url": ('<circle r="3" filter="url(&quot;//evil.example/f.svg#f&quot;)"/>', "evil.example"),
    "style-element-import": ("<style>@import url(https://evil.example/x.css);</style>", "evil.example"),
    "style-element-import-string": ('<style>@import "https://evil.example/x.css";</style>', "evil.example"),
    "style-element-escaped-import": ('<style>@\\69mport "https://evil.example/x.css";</style>', "evil.example"),
    "style-element-external-url": (
        "<style><![CDATA[rect { fill: url('https://evil.example/x.svg#p') }]]></style>",
        "evil.example",
    ),
    "style-element-comment-split": ("<style>rect{fill:url(/**/https://evil.example/x)}</style>", "evil.example"),
    "style-element-image-set": ('<style>rect{background:image-set("https://evil.example/x.png" 1x)}</style>', "evil"),
    "style-element-data-html": ("<style>rect{background:url(data:text/html,x)}</style>", "text/html"),
    "set-href": ('<a href="#keep"><set attributeName="href" to="javascript:alert(1)"/></a>', "javascript"),
    "animate-xlink-href": (
        '<a xlink:href="#keep"><animate attributeName="xlink:href" values="javascript:alert(1)"/></a>',
        "javascript",
    ),
    "set-onclick": ('<set attributeName="onclick" to="alert(1)"/>', "alert"),
    "set-style": ('<set attributeName="style" to="fill:url(https://evil.example/x)"/>', "evil.example"),
    "animate-external-paint": ('<animate attributeName="fill" values="url(https://evil.example/p#g)"/>', "evil"),
    "xml-stylesheet-pi": ("", "evil.example"),
    "pi-in-body": ('<?php echo "evil.example"; ?>', "evil.example"),
    "xml-events-attribute": (
        '<g xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click" ev:handler="#evil"/>',
        "#evil",
    ),
}


def dangerous_svg(case: str, markup: str) -> str:
    root = 'onload="alert(1)"' if case == "onload-on-root" else ""
    prolog = (
        '<?xml-stylesheet type="text/css" href="https://evil.example/x.css"?>' if case == "xml-stylesheet-pi" else ""
    )
    return svg(markup, root_attributes=root, prolog=prolog)


@pytest.mark.parametrize("operation", ["sanitize", "bake"])
@pytest.mark.parametrize("case", DANGEROUS)
def test_svg_dangerous_content_is_stripped(operation, case):
    markup, gone = DANGEROUS[case]
    source = dangerous_svg(case, markup)
    assert gone in source
    out = sanitize_svg(source) if operation == "sanitize" else bake_svg(source, JWS)
    document = parse(out)
    assert gone not in out.decode("utf-8")
    assert [e.getAttribute("id") for e in document.getElementsByTagNameNS(SVG_NS, "rect")] == ["keep"]


SAFE = {
    "fragment-href": ('<a href="#keep"><text>go</text></a>', 'href="#keep"'),
    "fragment-href-with-whitespace": ('<a href=" #keep\n"><text>go</text></a>', 'href=" #keep'),
    "fragment-xlink-href": ('<use xlink:href="#keep" x="5"/>', 'xlink:href="#keep"'),
    "data-png-image": (f'<image href="{DATA_PNG}" width="1" height="1"/>', DATA_PNG),
    "data-webp-image": ('<image href="data:image/webp;base64,UklGRg==" width="1" height="1"/>', "image/webp"),
    "fragment-fill": ('<circle r="3" fill="url(#grad)"/>', 'fill="url(#grad)"'),
    "fragment-style": ('<circle r="3" style="fill: url( \'#grad\' ); stroke:#000"/>', "url( '#grad' )"),
    "style-element-fragment": ("<style>rect { fill: url(#grad) } /* ok */</style>", "fill: url(#grad)"),
    "style-element-data-image": (f"<style>rect{{fill:url({DATA_PNG})}}</style>", DATA_PNG),
    "harmless-animation": ('<animate attributeName="opacity" from="0" to="1" dur="1s"/>', 'attributeName="opacity"'),
    "gradient": ('<radialGradient id="r"><stop offset="0" stop-color="red"/></radialGradient>', "radialGradient"),
    "text": ("<text x='1' y='2'>Café 数据 ✓ &amp; more</text>", "Café 数据 ✓ &amp; more"),
    "comment": ("<!-- generated by hand -->", "<!-- generated by hand -->"),
    "metadata": ('<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>', "rdf:RDF"),
    "online-attribute-value": ('<text data-note="online">x</text>', 'data-note="online"'),
}


@pytest.mark.parametrize("operation", ["sanitize", "bake"])
@pytest.mark.parametrize(("markup", "kept"), SAFE.values(), ids=SAFE.keys())
def test_svg_safe_content_is_kept(operation, markup, kept):
    source = svg(markup)
    out = sanitize_svg(source) if operation == "sanitize" else bake_svg(source, JWS)
    parse(out)
    assert kept in out.decode("utf-8")


@pytest.mark.parametrize(
    "href",
    ["https://evil.example/sprite.svg#icon", "sprite.svg#icon", DATA_PNG],
    ids=["absolute", "relative", "data-uri"],
)
def test_svg_use_of_another_document_is_removed_entirely(href):
    out = sanitize_svg(svg(f'<use xlink:href="{href}" x="1"/><use xlink:href="#keep" x="2"/>')).decode()
    assert out.count("<use") == 1
    assert '<use xlink:href="#keep" x="2"/>' in out


def test_sanitize_svg_removes_baked_credentials():
    baked = bake_svg(SIMPLE_SVG, JWS)
    clean = sanitize_svg(baked)
    assert b"openbadges" not in clean
    with pytest.raises(NotBakedError):
        unbake_svg(clean)


def test_sanitize_svg_output_is_utf8_with_declaration():
    out = sanitize_svg(SIMPLE_SVG.encode("utf-8"))
    assert out.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert "Café ✓".encode() in out


def test_sanitize_svg_honours_declared_encoding_of_bytes():
    latin1 = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + svg("<text>Café</text>")).encode("latin-1")
    assert "Café".encode() in sanitize_svg(latin1)


def test_sanitize_is_idempotent():
    once = sanitize_svg(dangerous_svg("script", DANGEROUS["script"][0]))
    assert sanitize_svg(once) == once


def test_no_script_survives_anywhere():
    everything = svg("".join(markup for markup, _ in DANGEROUS.values()), root_attributes='onload="alert(1)"')
    out = sanitize_svg(everything).decode()
    assert not re.search(r"script|alert|evil\.example|\son\w+=", out, re.IGNORECASE)
