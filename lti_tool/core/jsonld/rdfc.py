"""RDF Dataset Canonicalization (RDFC-1.0) with the canonical N-Quads escaping the spec requires.

pyld's URDNA2015 implements the RDFC-1.0 labelling algorithm, but its N-Quads writer escapes only
backslash, quote, tab, LF and CR. RDFC-1.0 §4.4.2 ("canonical n-quads form", RDF 1.2 N-Quads
§"Canonical N-Quads") also requires:

* BS (U+0008) and FF (U+000C) written as the ECHARs ``\\b`` and ``\\f``;
* U+0000–U+0007, U+000B, U+000E–U+001F and U+007F written as UCHAR ``\\u00XX`` (upper-case hex);
* everything else, all non-ASCII included, written as itself (UTF-8).

RDF 1.2's canonical N-Triples also asks for UCHAR for characters outside XML 1.1 ``Char``
(U+FFFE, U+FFFF); rdf-canonize, written by the RDFC-1.0 editors and used by every JavaScript
verifier, writes them raw, and so do we. Signing refuses documents holding them (see
:func:`portability_problems`), so no credential of ours depends on either reading.

IRIs are written as rdf-canonize (jsonld.js) writes them: code points the N-Quads ``IRIREF``
production does not allow unescaped (U+0000–U+0020 and ``<>"{}|^`\\``) become UCHAR ``\\u00XX``.
pyld writes them raw, which is not valid N-Quads and hashes differently from every JS verifier.

The difference matters: a form feed pasted from a PDF into a badge description made a pyld
signature that jsonld.js (rdf-canonize) rejects. The same serializer feeds the first-degree hashes,
so blank-node labels follow the spec too. The N-degree hashing is pyld's, unchanged.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ECHAR = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
_ESCAPES = dict(_ECHAR)
for _cp in [*range(0x00, 0x08), 0x0B, *range(0x0E, 0x20), 0x7F]:
    _ESCAPES[_cp] = f"\\u{_cp:04X}"
_TRANSLATION = str.maketrans(_ESCAPES)
_IRI_TRANSLATION = str.maketrans({cp: f"\\u{cp:04X}" for cp in [*range(0x00, 0x21), *map(ord, '<>"{}|^`\\')]})
_IRI_NEEDS_ESCAPE = re.compile('[\x00-\x20<>"{}|^`\\\\]')


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form as canonical N-Quads requires."""
    return value.translate(_TRANSLATION)


def escape_iri(value: str) -> str:
    """Escape an IRI for ``<...>`` as rdf-canonize does (UCHAR for what IRIREF does not allow)."""
    return value.translate(_IRI_TRANSLATION) if _IRI_NEEDS_ESCAPE.search(value) else value


def _term(component: dict[str, Any]) -> str:
    if component["type"] == "IRI":
        return "<" + escape_iri(component["value"]) + ">"
    if component["type"] == "blank node":
        return component["value"]
    text = '"' + escape_literal(component["value"]) + '"'
    datatype = component.get("datatype", XSD_STRING)
    if datatype == RDF_LANGSTRING:
        language = component.get("language")
        return text + "@" + language if language else text
    if datatype != XSD_STRING:
        return text + "^^<" + escape_iri(datatype) + ">"
    return text


def serialize_quad(quad: dict[str, Any]) -> str:
    """Serialize one quad as a canonical N-Quads line, newline included."""
    parts = [_term(quad["subject"]), _term(quad["predicate"]), _term(quad["object"])]
    name = quad.get("name")
    if name is not None and name.get("value") is not None:
        parts.append(_term(name))
    return " ".join(parts) + " .\n"


_NONCHARACTERS = re.compile("[\ufffe\uffff]")
_SUPPLEMENTARY = re.compile("[\U00010000-\U0010FFFF]")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def portability_problems(canonical: str) -> list[str]:
    """Return why canonical N-Quads would not verify in JavaScript verifiers (empty when fine).

    * U+FFFE/U+FFFF: escaped or not depending on which spec text one reads (see the module notes).
    * Sort order: RDFC-1.0 sorts by code point; rdf-canonize sorts JavaScript strings, by UTF-16
      code unit. The two differ when a character above U+FFFF (an emoji) meets one in
      U+E000–U+FFFF at the same position of two lines, and the signature then fails in JavaScript.
    """
    problems = []
    if _NONCHARACTERS.search(canonical):
        problems.append("text holds the Unicode noncharacter U+FFFE or U+FFFF; remove it")
    if _SUPPLEMENTARY.search(canonical):
        # Only LF ends a line: literals carry U+2028, U+0085… raw, which str.splitlines would split on.
        lines = canonical.split("\n")[:-1]  # the text ends with LF
        if sorted(lines, key=_utf16) != lines:
            problems.append("text mixes characters above U+FFFF (such as emoji) with characters in "
                            "U+E000–U+FFFF in a way JavaScript verifiers sort differently; change the wording")
    return problems


class RDFC10(URDNA2015):
    """Canonicalize an RDF dataset (pyld's dataset shape) into sorted canonical N-Quads."""

    def canonicalize(self, dataset: dict[str, list[dict[str, Any]]]) -> str:
        """Run RDFC-1.0 §4.4 on ``dataset`` and return the canonical N-Quads document."""
        # 4.4.3 step 2: map each blank node to the quads it occurs in.
        for graph_name, triples in dataset.items():
            for quad in triples:
                if graph_name != "@default":
                    kind = "blank node" if graph_name.startswith("_:") else "IRI"
                    quad["name"] = {"type": kind, "value": graph_name}
                self.quads.append(quad)
                for position, component in quad.items():
                    if position != "predicate" and component["type"] == "blank node":
                        self.blank_node_info.setdefault(component["value"], {"quads": []})["quads"].append(quad)

        # Steps 3-5: issue canonical identifiers for blank nodes with unique first-degree hashes.
        non_normalized = set(self.blank_node_info)
        simple = True
        while simple:
            simple = False
            self.hash_to_blank_nodes = {}
            for id_ in non_normalized:
                self.hash_to_blank_nodes.setdefault(self.hash_first_degree_quads(id_), []).append(id_)
            for hash_, id_list in sorted(self.hash_to_blank_nodes.items()):
                if len(id_list) > 1:
                    continue
                self.canonical_issuer.get_id(id_list[0])
                non_normalized.remove(id_list[0])
                del self.hash_to_blank_nodes[hash_]
                simple = True

        # Step 6: resolve the remaining ties with the N-degree hash.
        for _hash, id_list in sorted(self.hash_to_blank_nodes.items()):
            paths = []
            for id_ in id_list:
                if self.canonical_issuer.has_id(id_):
                    continue
                issuer = IdentifierIssuer("_:b")
                issuer.get_id(id_)
                paths.append(self.hash_n_degree_quads(id_, issuer))
            for result in sorted(paths, key=lambda r: r["hash"]):
                for existing in result["issuer"].order:
                    self.canonical_issuer.get_id(existing)

        # Step 7: relabel and serialize; sort by code point.
        lines = []
        for quad in self.quads:
            relabelled = {}
            for position, component in quad.items():
                if position != "predicate" and component["type"] == "blank node":
                    component = {**component, "value": self.canonical_issuer.get_id(component["value"])}
                relabelled[position] = component
            lines.append(serialize_quad(relabelled))
        lines.sort()
        return "".join(lines)

    def hash_first_degree_quads(self, id_: str) -> str:
        """Hash the quads of one blank node with ``_:a``/``_:z`` stand-ins (RDFC-1.0 §4.6)."""
        info = self.blank_node_info[id_]
        if "hash" not in info:
            lines = []
            for quad in info["quads"]:
                marked = {
                    position: (
                        {**component, "value": "_:a" if component["value"] == id_ else "_:z"}
                        if position != "predicate" and component["type"] == "blank node"
                        else component
                    )
                    for position, component in quad.items()
                }
                lines.append(serialize_quad(marked))
            lines.sort()
            info["hash"] = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
        return info["hash"]
