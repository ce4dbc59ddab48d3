"""Bake and unbake Open Badges credentials in SVG images.

OB 3.0 §5.3.2 (SVG): bind ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on ``<svg>`` and
put ``<openbadges:credential>`` directly after the ``<svg>`` tag, with a Compact JWS in ``verify``
(empty element) or the credential JSON in a CDATA body (no ``verify``).
OB 2.0 Baking §SVGs: bind ``http://openbadges.org`` and add ``<openbadges:assertion verify="...">``
holding a JWS or the hosted assertion URL, with the assertion JSON in a CDATA body when it is baked.
"""

from __future__ import annotations

import re
from typing import IO
from xml.dom import Node
from xml.dom.minidom import CDATASection, Document, Element, Text

from .errors import BakingError, NotBakedError
from .limits import MAX_IMAGE_BYTES, MAX_TEXT_BYTES
from .payload import (
    OB2,
    OB3,
    SVG_ELEMENTS,
    SVG_NAMESPACES,
    SVG_PREFIX,
    BakedPayload,
    ObVersion,
    check_ob_version,
    classify_text,
    encode_text,
    is_http_url,
)
from .svg_parse import XMLNS_NAMESPACE, parse_svg, serialize_svg
from .svg_sanitize import sanitize_document

__all__ = ["bake_svg", "sanitize_svg", "unbake_svg"]

_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CREDENTIAL_NAMES = {(SVG_NAMESPACES[version], SVG_ELEMENTS[version]): version for version in (OB3, OB2)}


class _CarriageReturns(Text):
    """Text made only of carriage returns, written as ``&#13;`` so XML line-end handling keeps them."""

    def writexml(self, writer: IO[str], indent: str = "", addindent: str = "", newl: str = "") -> None:
        """Write each CR as a character reference (XML 1.0 §2.11 would turn a literal CR into LF)."""
        writer.write("&#13;" * len(self.data))


def sanitize_svg(data: bytes | str) -> bytes:
    """Return an uploaded SVG as UTF-8 with active content, external references and baked credentials removed."""
    document = parse_svg(data)
    sanitize_document(document)
    _remove_credentials(document)
    return serialize_svg(document)


def bake_svg(svg: bytes | str, text: str, *, ob_version: str = "3.0", verify_url: str | None = None) -> bytes:
    """Return ``svg`` sanitised, with ``text`` baked as the first child of ``<svg>`` (OB 3.0 §5.3.2.1).

    JSON (text starting with ``{``) goes in a CDATA body; a JWS or (OB 2.0) a URL goes in ``verify``.
    For OB 2.0 JSON, ``verify_url`` (the assertion's hosted URL) is required and becomes ``verify``.
    Any credential already baked in, of either version, is replaced.
    """
    version = check_ob_version(ob_version)
    encode_text(text)
    kind = classify_text(text, version)
    _check_verify_url(version, kind, verify_url)
    bad = _NOT_XML_CHAR.search(text)
    if bad:
        raise BakingError(f"credential text contains U+{ord(bad.group()):04X}, which XML cannot carry")
    document = parse_svg(svg)
    sanitize_document(document)
    _remove_credentials(document)
    root = document.documentElement
    _bind_prefix(root, version)
    element = document.createElementNS(SVG_NAMESPACES[version], f"{SVG_PREFIX}:{SVG_ELEMENTS[version]}")
    if kind == "json":
        if verify_url is not None:
            element.setAttribute("verify", verify_url)
        for node in _cdata_nodes(document, text):
            element.appendChild(node)
    else:
        element.setAttribute("verify", text)
    root.insertBefore(element, root.firstChild)
    baked = serialize_svg(document)
    if len(baked) > MAX_IMAGE_BYTES:
        raise BakingError(f"baked SVG would be {len(baked)} bytes; the limit is {MAX_IMAGE_BYTES} bytes")
    return baked


def unbake_svg(data: bytes | str) -> BakedPayload:
    """Return the credential baked into an SVG (OB 3.0 §5.3.2.2, OB 2.0 Baking §SVGs Extracting).

    An OB 3.0 ``credential`` element wins over an OB 2.0 ``assertion``; two elements of one version are
    refused. OB 3.0 reads ``verify`` (JWS) else the body (JSON); OB 2.0 reads the body (assertion JSON)
    else ``verify`` (JWS or URL), as the OB 2.0 text "If there is a body, it will be the JSON" says.
    """
    document = parse_svg(data)
    found: dict[ObVersion, list[Element]] = {OB3: [], OB2: []}
    for element in _elements(document.documentElement):
        version = _CREDENTIAL_NAMES.get((element.namespaceURI, element.localName))
        if version is not None:
            found[version].append(element)
    for version in (OB3, OB2):
        elements = found[version]
        if len(elements) > 1:
            name = f"{SVG_PREFIX}:{SVG_ELEMENTS[version]}"
            raise BakingError(f"SVG carries {len(elements)} <{name}> elements; the spec allows only one")
        if elements:
            return BakedPayload("svg", version, _credential_text(elements[0], version))
    raise NotBakedError("no Open Badges credential is baked into this SVG")


def _check_verify_url(version: ObVersion, kind: str, verify_url: str | None) -> None:
    """Require ``verify_url`` exactly when baking OB 2.0 assertion JSON, and require it to be an http(s) URL."""
    needed = version == OB2 and kind == "json"
    if needed and verify_url is None:
        raise BakingError("baking OB 2.0 assertion JSON into SVG needs verify_url, the hosted assertion URL")
    if not needed and verify_url is not None:
        raise BakingError("verify_url is only used when baking OB 2.0 assertion JSON into SVG")
    if verify_url is not None and not is_http_url(verify_url):
        raise BakingError("verify_url must be an absolute http(s) URL")


def _elements(root: Element) -> list[Element]:
    """Return ``root`` and all its descendant elements in document order, without recursion."""
    ordered: list[Element] = []
    stack = [root]
    while stack:
        element = stack.pop()
        ordered.append(element)
        stack.extend(reversed([c for c in element.childNodes if c.nodeType == Node.ELEMENT_NODE]))
    return ordered


def _remove_credentials(document: Document) -> None:
    """Remove every baked credential element of either version, and the root's OB prefix binding."""
    for element in _elements(document.documentElement):
        if (element.namespaceURI, element.localName) in _CREDENTIAL_NAMES and element.parentNode is not None:
            element.parentNode.removeChild(element)
    root = document.documentElement
    binding = root.getAttributeNodeNS(XMLNS_NAMESPACE, SVG_PREFIX)
    if binding is not None and binding.value in SVG_NAMESPACES.values():
        root.removeAttributeNode(binding)


def _bind_prefix(root: Element, version: ObVersion) -> None:
    """Declare ``xmlns:openbadges`` on the root, refusing to rebind a prefix the image uses for something else."""
    binding = root.getAttributeNodeNS(XMLNS_NAMESPACE, SVG_PREFIX)
    if binding is not None:
        raise BakingError(f"the SVG already binds the prefix '{SVG_PREFIX}' to {binding.value}")
    root.setAttributeNS(XMLNS_NAMESPACE, f"xmlns:{SVG_PREFIX}", SVG_NAMESPACES[version])


def _cdata_nodes(document: Document, text: str) -> list[Text]:
    """Split ``text`` into CDATA sections, breaking ``]]>`` across two sections and writing CRs as ``&#13;``."""
    nodes: list[Text] = []
    for index, line in enumerate(re.split(r"(\r+)", text)):
        if index % 2:
            crs = _CarriageReturns()
            crs.data = line
            crs.ownerDocument = document
            nodes.append(crs)
            continue
        pieces = line.split("]]>")
        for number, piece in enumerate(pieces):
            data = (">" if number else "") + piece + ("]]" if number < len(pieces) - 1 else "")
            if data:
                nodes.append(document.createCDATASection(data))
    return nodes


def _credential_text(element: Element, version: ObVersion) -> str:
    """Return the text an OB credential element carries (``verify`` or body, by version) and check its size."""
    verify = element.getAttribute("verify") if element.hasAttribute("verify") else ""
    body = _body_text(element)
    text = (verify or body) if version == OB3 else (body or verify)
    name = f"{SVG_PREFIX}:{SVG_ELEMENTS[version]}"
    if not text:
        raise BakingError(f"the <{name}> element has neither a verify attribute nor a body")
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise BakingError(f"the <{name}> element holds more than {MAX_TEXT_BYTES} bytes of text")
    return text


def _body_text(element: Element) -> str:
    """Return the body of a credential element: its text and CDATA, less formatting whitespace at either end.

    Formatting whitespace is a whitespace-only text node outside CDATA. A CR there can only come from a
    character reference (XML 1.0 §2.11 turns literal CRs into LF), so it is content and is kept.
    """
    nodes = [c for c in element.childNodes if c.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE)]
    has_cdata = any(isinstance(node, CDATASection) for node in nodes)

    def formatting(node: Text) -> bool:
        return not isinstance(node, CDATASection) and not node.data.strip(" \t\n")

    while nodes and formatting(nodes[0]):
        nodes.pop(0)
    while nodes and formatting(nodes[-1]):
        nodes.pop()
    text = "".join(node.data for node in nodes)
    return text if has_cdata else text.strip(" \t\n")
