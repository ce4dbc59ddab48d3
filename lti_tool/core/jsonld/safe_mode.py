"""Detect data that JSON-LD expansion or RDF conversion would silently drop ("safe mode").

pyld, unlike jsonld.js, has no safe mode: an undefined term, a relative IRI or a misspelt type is
dropped without a word, and a signature made over the result does not cover it. The Open Badges
3.0 specification requires credentials to be valid in safe mode (1EdTech openbadges-specification
PR #611; VC Data Integrity 1.0 §4.3 "processing ... MUST ... safe mode"). These checks close the gap:

1. pyld's ``on_property_dropped`` hook reports keys that do not expand to an absolute IRI;
2. a walk of the expanded form reports relative or blank-node IRIs where RDF needs absolute ones
   (node ``@id``, node ``@type``, datatypes, properties), which ``toRdf`` would skip;
3. a count of scalar values before and after expansion catches anything else that vanished
   (free-floating scalars, objects holding only ``@language``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# The same test pyld applies before emitting a triple: a scheme, a colon, no whitespace.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")

# pyld resolves relative references against a made-up base ("http://example.org/base/") when the
# document has none; jsonld.js keeps them relative and drops them. Expansion therefore runs with
# this sentinel base, and anything resolved against it is reported as a relative reference.
RELATIVE_BASE = "https://relative-iri.invalid/"


class UnsafeDocumentError(ValueError):
    """Raise when a document would lose data in JSON-LD processing; ``problems`` says where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:8])
        more = f" (and {len(self.problems) - 8} more)" if len(self.problems) > 8 else ""
        super().__init__(f"JSON-LD safe mode: {shown}{more}")


def is_absolute_iri(value: Any) -> bool:
    """Return True when ``value`` is an absolute IRI (scheme, no whitespace); blank nodes are not.

    IRIs resolved against :data:`RELATIVE_BASE` were relative in the document and do not count.
    """
    return (isinstance(value, str) and not value.startswith(("_:", RELATIVE_BASE))
            and bool(_ABSOLUTE_IRI.match(value)))


def count_input_values(node: Any) -> int:
    """Count non-null scalar values of a compacted JSON-LD document, ignoring ``@context``."""
    if isinstance(node, dict):
        if "@value" in node:
            return 0 if node["@value"] is None else 1
        return sum(count_input_values(v) for k, v in node.items() if k != "@context")
    if isinstance(node, list):
        return sum(count_input_values(item) for item in node)
    return 0 if node is None else 1


def count_expanded_values(node: Any) -> int:
    """Count the scalar values that survive in an expanded document (same units as the input)."""
    if isinstance(node, dict):
        if "@value" in node:
            if node.get("@type") == "@json":
                return count_input_values(node["@value"])
            return 1
        total = 0
        for key, value in node.items():
            if key == "@id":
                total += 1
            elif key == "@type":
                total += len(value) if isinstance(value, list) else 1
            elif key == "@index":
                total += 1
            else:
                total += count_expanded_values(value)
        return total
    if isinstance(node, list):
        return sum(count_expanded_values(item) for item in node)
    return 0 if node is None else 1


def find_unsafe_iris(expanded: Any, path: str = "$") -> Iterator[str]:
    """Yield a description of every IRI position in ``expanded`` that RDF conversion would drop."""
    if isinstance(expanded, list):
        for index, item in enumerate(expanded):
            yield from find_unsafe_iris(item, f"{path}[{index}]")
        return
    if not isinstance(expanded, dict):
        return
    if "@value" in expanded:
        datatype = expanded.get("@type")
        if datatype is not None and datatype != "@json" and not is_absolute_iri(datatype):
            yield f"{path}: datatype {datatype!r} is not an absolute IRI"
        value = expanded["@value"]
        if isinstance(value, str) and _has_lone_surrogate(value):
            yield f"{path}: string holds an unpaired UTF-16 surrogate and cannot be encoded"
        return
    node_id = expanded.get("@id")
    if node_id is not None and not (is_absolute_iri(node_id) or node_id.startswith("_:")):
        yield f"{path}: id {_unbased(node_id)!r} is a relative IRI and would be dropped"
    for node_type in expanded.get("@type", []):
        if not is_absolute_iri(node_type):
            yield f"{path}: type {_unbased(node_type)!r} is not defined by any context and would be dropped"
    for key, value in expanded.items():
        if key.startswith("@"):
            if key in ("@graph", "@list", "@set", "@included", "@reverse"):
                yield from find_unsafe_iris(value, f"{path}.{key}")
            continue
        if key.startswith("_:"):
            yield f"{path}: property {key!r} is a blank node, not an IRI, and would be dropped"
            continue
        if key.startswith(RELATIVE_BASE):
            yield f"{path}: property {_unbased(key)!r} is a relative IRI and would be dropped"
            continue
        yield from find_unsafe_iris(value, f"{path}.<{key}>")


def _unbased(iri: str) -> str:
    return iri[len(RELATIVE_BASE):] if iri.startswith(RELATIVE_BASE) else iri


def mentions_relative_base(component: dict[str, Any]) -> bool:
    """Return True when an RDF term came from a relative reference (see :data:`RELATIVE_BASE`)."""
    return (component.get("type") == "IRI" and component["value"].startswith(RELATIVE_BASE)) or (
        component.get("datatype", "").startswith(RELATIVE_BASE))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None
