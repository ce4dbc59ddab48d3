"""Parse untrusted SVG safely into a DOM, and serialise it back.

DTDs are refused outright (no DOCTYPE, hence no entity expansion and no external entities), the input
size is capped before parsing, and a streaming pre-pass caps the element count, the node count
(elements, attributes, comments, processing instructions, CDATA sections) and the nesting depth before
any DOM is built. The root must be ``svg`` in the SVG namespace (SVG 1.1 §5.1.2).
"""

from __future__ import annotations

from collections.abc import Sized
from xml.dom.minidom import Document
from xml.parsers.expat import ExpatError
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler, LexicalHandler, property_lexical_handler

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import minidom as defused_minidom
from defusedxml.expatreader import DefusedExpatParser

from .errors import BakingError
from .limits import MAX_IMAGE_BYTES, MAX_SVG_DEPTH, MAX_SVG_ELEMENTS, MAX_SVG_NODES, check_image_size

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/"


def parse_svg(data: bytes | str) -> Document:
    """Parse an SVG document under the size, DTD, count and depth limits and check its root (SVG 1.1 §5.1.2)."""
    _check_input_size(data)
    _check_structure(data)
    try:
        document = defused_minidom.parseString(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except BakingError:
        raise
    except (DefusedXmlException, ExpatError, SAXException, ValueError, LookupError) as exc:
        raise _parse_error(exc) from exc
    root = document.documentElement
    if root is None or root.namespaceURI != SVG_NAMESPACE or root.localName != "svg":
        found = "nothing" if root is None else f"<{root.tagName}> in namespace {root.namespaceURI or '(none)'}"
        raise BakingError(f"not an SVG image: the root element must be <svg> in {SVG_NAMESPACE}, found {found}")
    return document


def serialize_svg(document: Document) -> bytes:
    """Serialise a DOM as UTF-8 SVG with an XML declaration."""
    return document.toxml(encoding="utf-8")


def _check_input_size(data: bytes | str) -> None:
    """Reject non-text input, empty input and input above the image size limit, before parsing."""
    if isinstance(data, str):
        if len(data) > MAX_IMAGE_BYTES:  # every character is at least one UTF-8 byte
            check_image_size(len(data), "SVG")
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise BakingError(f"SVG text is not valid Unicode: {exc.reason} at index {exc.start}") from exc
    elif isinstance(data, bytes | bytearray):
        size = len(data)
    else:
        raise BakingError(f"SVG must be bytes or str, not {type(data).__name__}")
    check_image_size(size, "SVG")


class _LimitHandler(ContentHandler, LexicalHandler):
    """Count nodes and track depth while streaming, stopping at the first limit exceeded."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0
        self.nodes = 0
        self.depth = 0

    def _add_nodes(self, count: int) -> None:
        """Count markup nodes and enforce :data:`MAX_SVG_NODES`."""
        self.nodes += count
        if self.nodes > MAX_SVG_NODES:
            raise BakingError(f"SVG has more than {MAX_SVG_NODES} nodes (elements, attributes, comments and the like)")

    def startElement(self, name: str, attrs: Sized) -> None:
        """Count an opening tag and enforce :data:`MAX_SVG_ELEMENTS` and :data:`MAX_SVG_DEPTH`."""
        self.elements += 1
        self.depth += 1
        if self.elements > MAX_SVG_ELEMENTS:
            raise BakingError(f"SVG has more than {MAX_SVG_ELEMENTS} elements")
        if self.depth > MAX_SVG_DEPTH:
            raise BakingError(f"SVG nests elements more than {MAX_SVG_DEPTH} levels deep")
        self._add_nodes(1 + len(attrs))

    def endElement(self, name: str) -> None:
        """Leave one nesting level."""
        self.depth -= 1

    def processingInstruction(self, target: str, data: str) -> None:
        """Count a processing instruction."""
        self._add_nodes(1)

    def comment(self, content: str) -> None:
        """Count a comment."""
        self._add_nodes(1)

    def startCDATA(self) -> None:
        """Count a CDATA section."""
        self._add_nodes(1)


def _check_structure(data: bytes | str) -> None:
    """Stream the document once without building a tree, refusing DTDs and enforcing the limits."""
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    handler = _LimitHandler()
    parser.setContentHandler(handler)
    parser.setProperty(property_lexical_handler, handler)
    try:
        parser.feed(bytes(data) if isinstance(data, bytearray) else data)
        parser.close()
    except BakingError:
        raise
    except (DefusedXmlException, ExpatError, SAXException, ValueError, LookupError) as exc:
        raise _parse_error(exc) from exc


def _parse_error(exc: Exception) -> BakingError:
    """Translate a parser exception into a :class:`BakingError` with a human message."""
    if isinstance(exc, DTDForbidden):
        return BakingError("SVG must not contain a DOCTYPE: DTDs and entities are forbidden")
    if isinstance(exc, EntitiesForbidden):
        return BakingError("SVG must not declare entities")
    if isinstance(exc, ExternalReferenceForbidden):
        return BakingError("SVG must not reference external entities")
    if isinstance(exc, SAXParseException):
        return BakingError(
            f"SVG is not well-formed XML: {exc.getMessage()} at line {exc.getLineNumber()}, "
            f"column {exc.getColumnNumber()}"
        )
    if isinstance(exc, ExpatError):
        return BakingError(f"SVG is not well-formed XML: {exc}")
    return BakingError(f"SVG could not be parsed: {exc}")
