"""Strip active and external content from an SVG DOM, keeping the drawing.

Removed: script and embedding elements (any namespace, any case), event-handler attributes,
processing instructions (``xml-stylesheet``), links and references that leave the document, ``<use>``
of other documents, CSS that imports or loads by URL, and SMIL animations that could rewrite an
``href`` or an event handler. Shapes, gradients, text and ``#id`` references are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.dom import Node
from xml.dom.minidom import Document, Element

from .references import is_fragment_reference, is_safe_css, is_safe_reference
from .svg_parse import XMLNS_NAMESPACE

XML_EVENTS_NAMESPACE = "http://www.w3.org/2001/xml-events"

BLOCKED_ELEMENTS = frozenset(
    {
        "script",
        "foreignobject",
        "iframe",
        "embed",
        "object",
        "applet",
        "frame",
        "frameset",
        "portal",
        "handler",
        "listener",
        "link",
        "base",
        "meta",
    }
)
"""Local names (lower-cased) removed with their whole subtree, whatever their namespace."""

ANIMATION_ELEMENTS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "base"})
"""Attribute local names (lower-cased) holding a URL; ``base`` covers ``xml:base``."""


def sanitize_document(document: Document) -> None:
    """Remove active and external content from ``document`` in place."""
    _keep_children(document, lambda node: node.nodeType != Node.PROCESSING_INSTRUCTION_NODE)
    root = document.documentElement
    _clean_attributes(root)
    stack: list[Element] = [root]
    while stack:
        element = stack.pop()
        _keep_children(element, _is_kept)
        for child in element.childNodes:
            if child.nodeType == Node.ELEMENT_NODE:
                _clean_attributes(child)
                stack.append(child)


def _is_kept(node: Node) -> bool:
    """Return whether a child node survives: no processing instructions, no dangerous elements."""
    if node.nodeType == Node.PROCESSING_INSTRUCTION_NODE:
        return False
    return node.nodeType != Node.ELEMENT_NODE or not _is_dangerous(node)


def _keep_children(parent: Node, keep: Callable[[Node], bool]) -> None:
    """Drop the children of ``parent`` that ``keep`` rejects, relinking siblings in one linear pass.

    ``removeChild`` is linear per call, which makes removing many children quadratic.
    """
    children = parent.childNodes
    kept = [child for child in children if keep(child)]
    if len(kept) == len(children):
        return
    kept_ids = {id(child) for child in kept}
    for child in children:
        if id(child) not in kept_ids:
            child.parentNode = child.previousSibling = child.nextSibling = None
    children[:] = kept
    for index, child in enumerate(kept):
        child.previousSibling = kept[index - 1] if index else None
        child.nextSibling = kept[index + 1] if index + 1 < len(kept) else None


def local_name(node: Element) -> str:
    """Return a node's local name, lower-cased, without any prefix."""
    name = node.localName or node.nodeName
    return name.rsplit(":", 1)[-1].lower()


def _is_dangerous(element: Element) -> bool:
    """Return whether ``element`` must go with its subtree rather than be cleaned."""
    name = local_name(element)
    if name in BLOCKED_ELEMENTS:
        return True
    if name == "use":
        return any(not is_fragment_reference(value) for value in _href_values(element))
    if name == "style":
        sheet = _style_text(element)
        return sheet is None or not is_safe_css(sheet)
    if name in ANIMATION_ELEMENTS:
        target = element.getAttribute("attributeName").strip().rsplit(":", 1)[-1].lower()
        return target in URL_ATTRIBUTES or target.startswith("on") or target == "style"
    return False


def _clean_attributes(element: Element) -> None:
    """Drop event handlers, unsafe URL attributes and attributes carrying unsafe CSS."""
    for attr in list(element.attributes.values()):
        if attr.namespaceURI == XMLNS_NAMESPACE:
            continue
        name = (attr.localName or attr.name).rsplit(":", 1)[-1].lower()
        if name.startswith("on") or attr.namespaceURI == XML_EVENTS_NAMESPACE:
            unsafe = True
        elif name in URL_ATTRIBUTES:
            unsafe = not is_safe_reference(attr.value)
        else:
            unsafe = not is_safe_css(attr.value)
        if unsafe:
            element.removeAttributeNode(attr)


def _href_values(element: Element) -> list[str]:
    """Return the values of every ``href`` attribute of ``element``, in any namespace."""
    return [
        attr.value
        for attr in element.attributes.values()
        if attr.namespaceURI != XMLNS_NAMESPACE and (attr.localName or attr.name).lower() == "href"
    ]


def _style_text(element: Element) -> str | None:
    """Return the stylesheet text of a ``<style>`` element, or None if it holds elements."""
    parts: list[str] = []
    for child in element.childNodes:
        if child.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE):
            parts.append(child.data)
        elif child.nodeType == Node.ELEMENT_NODE:
            return None
    return "".join(parts)
