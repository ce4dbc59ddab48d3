"""RDFC-1.0 canonicalization (lti_tool.core.jsonld.rdfc) against the 1EdTech vector, the spec's
escaping rules, stock pyld and jsonld.js (rdf-canonize)."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from pyld import jsonld

from lti_tool.core.jsonld.loader import pinned_loader
from lti_tool.core.jsonld.rdfc import RDFC10, escape_iri, escape_literal
from lti_tool.core.jsonld.safe_mode import UnsafeDocumentError
from tests.core.fixtures.corekit import (
    ESCAPE_TEXT,
    FIXTURES,
    IRI_ESCAPE_ID,
    VECTOR,
    rdfc_oracle_documents,
    vector_document,
)

DOCUMENT_CANON = (FIXTURES / "ob3_vector_document_canon.nq").read_text(encoding="utf-8")
PROOF_CANON = (FIXTURES / "ob3_vector_proof_canon.nq").read_text(encoding="utf-8")
JSONLD_JS = json.loads((FIXTURES / "jsonld_js_expected.json").read_text(encoding="utf-8"))


def stock_pyld(document):
    """Canonical N-Quads from unmodified pyld (URDNA2015) with the same pinned contexts."""
    return jsonld.normalize(copy.deepcopy(document), {
        "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": pinned_loader()})


def proof_config():
    return {**VECTOR["proof_options"], "@context": VECTOR["unsigned"]["@context"]}


# --- the 1EdTech test vector ------------------------------------------------------------------

def test_fixture_texts_hash_to_the_vector_digests():
    # Guards the fixtures themselves: they are the spec's files, byte for byte.
    assert hashlib.sha256(DOCUMENT_CANON.encode()).hexdigest() == VECTOR["document_hash"]
    assert hashlib.sha256(PROOF_CANON.encode()).hexdigest() == VECTOR["proof_hash"]


def test_vector_document_canonicalizes_to_the_spec_text(canonicalizer):
    canonical = canonicalizer.canonicalize(VECTOR["unsigned"])
    assert canonical == DOCUMENT_CANON
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == VECTOR["document_hash"]


def test_vector_proof_config_canonicalizes_to_the_spec_text(canonicalizer):
    canonical = canonicalizer.canonicalize(proof_config())
    assert canonical == PROOF_CANON
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == VECTOR["proof_hash"]


# --- escaping (canonical N-Quads as RDFC-1.0 and rdf-canonize write it) -----------------------------

# Written out from the spec, not from the code: BS HT LF FF CR " \ as ECHAR; U+0000-U+0007, VT,
# U+000E-U+001F and DEL as \u with 4 upper-case hex digits. (U+FFFE/U+FFFF: see below.)
_ECHAR = {0x08: r"\b", 0x09: r"\t", 0x0A: r"\n", 0x0C: r"\f", 0x0D: r"\r", 0x22: r"\"", 0x5C: "\\\\"}
ESCAPE_TABLE = [(cp, _ECHAR.get(cp, f"\\u{cp:04X}")) for cp in [*range(0x00, 0x20), 0x7F, 0x22, 0x5C]]


@pytest.mark.parametrize(("code_point", "expected"), ESCAPE_TABLE, ids=[f"U+{cp:04X}" for cp, _ in ESCAPE_TABLE])
def test_literal_escape_table(code_point, expected):
    assert escape_literal(chr(code_point)) == expected
    assert escape_literal(f"a{chr(code_point)}b") == f"a{expected}b"


def test_uchar_hex_is_upper_case():
    assert escape_literal("\x1b\x7f") == "\\u001B\\u007F"


@pytest.mark.parametrize("text", ["plain ASCII", "é ü ß", "日本語", "😀 emoji", "\u2028\u2029", "\u00a0nbsp",
                                  "\ufffd replacement", "\ue000 private use", "'single quotes'", "<>{}|^`"])
def test_other_characters_are_written_as_themselves(text):
    assert escape_literal(text) == text


def test_every_code_point_below_0x80_outside_the_table_is_unchanged():
    escaped = {cp for cp, _ in ESCAPE_TABLE}
    for cp in range(0x80):
        if cp not in escaped:
            assert escape_literal(chr(cp)) == chr(cp)


@pytest.mark.parametrize("code_point", [*range(0x00, 0x21), *map(ord, '<>"{}|^`\\')])
def test_iri_escape_uses_uchar_for_what_iriref_forbids(code_point):
    assert escape_iri(f"https://x.example/{chr(code_point)}") == f"https://x.example/\\u{code_point:04X}"


def test_ordinary_iris_are_unchanged():
    for iri in ["https://example.org/a/b?c=d&e=f#g", "urn:uuid:1234", "did:key:z6Mk#z6Mk", "https://例え.jp/パス"]:
        assert escape_iri(iri) == iri


def test_form_feed_document_differs_from_stock_pyld_and_follows_the_spec(canonicalizer):
    document = vector_document()
    document["name"] = "Team\x0cwork"
    ours = canonicalizer.canonicalize(document)
    stock = stock_pyld(document)
    assert ours != stock
    line = '<http://example.com/credentials/3527> <https://schema.org/name> "Team\\fwork" .\n'
    assert line in ours
    assert "\x0c" not in ours
    assert "\x0c" in stock  # pyld 3.3.0 writes the raw form feed
    assert hashlib.sha256(ours.encode()).hexdigest() != hashlib.sha256(stock.encode()).hexdigest()


def test_literal_escapes_agree_with_rdf_canonize(canonicalizer):
    document = rdfc_oracle_documents()["literal_escapes"]
    assert document["name"] == ESCAPE_TEXT
    assert canonicalizer.canonicalize(document) == JSONLD_JS["rdfc_nquads"]["literal_escapes"]


def test_iri_escapes_agree_with_rdf_canonize(canonicalizer):
    document = rdfc_oracle_documents()["iri_escapes"]
    ours = canonicalizer.canonicalize(document)
    assert ours == JSONLD_JS["rdfc_nquads"]["iri_escapes"]
    assert IRI_ESCAPE_ID not in ours


def test_noncharacters_are_written_as_rdf_canonize_writes_them(canonicalizer):
    # RDF 1.2 canonical N-Triples would escape U+FFFE/U+FFFF; rdf-canonize (every JS verifier) writes
    # them raw, and verifying must agree with it. Signing refuses them (test_portability below).
    document = vector_document()
    document["name"] = "x\ufffey\uffffz"
    assert '"x\ufffey\uffffz"' in canonicalizer.canonicalize(document)


@pytest.mark.parametrize(("text", "problem"), [
    ("x\ufffey", "noncharacter"),
    ("x\uffffy", "noncharacter"),
])
def test_portable_canonicalization_refuses_noncharacters(canonicalizer, text, problem):
    document = vector_document()
    document["name"] = text
    with pytest.raises(UnsafeDocumentError, match=problem):
        canonicalizer.canonicalize(document, portable=True)


def test_portable_canonicalization_refuses_utf16_order_conflicts(canonicalizer):
    # Two sibling tag values: code-point order puts U+FF21 first, UTF-16 order puts the emoji first.
    document = vector_document()
    document["credentialSubject"]["achievement"]["tag"] = ["a\U0001F600", "a\uff21"]
    canonical = canonicalizer.canonicalize(document)  # fine for RDFC-1.0 itself
    assert canonical.index("a\uff21") < canonical.index("a\U0001F600")
    with pytest.raises(UnsafeDocumentError, match="sort differently"):
        canonicalizer.canonicalize(document, portable=True)


def test_portable_canonicalization_accepts_emoji_alone(canonicalizer):
    document = vector_document()
    # U+2028 and U+0085 stay raw inside literals; they must not be taken for line ends.
    document["credentialSubject"]["achievement"]["tag"] = ["team \U0001F600", "café\u2028x", "数据\x85y"]
    assert "\U0001F600" in canonicalizer.canonicalize(document, portable=True)


# --- parity with stock pyld -----------------------------------------------------------------------

def _evidence(count, **fields):
    return [{"type": ["Evidence"], **fields} for _ in range(count)]


def parity_documents():
    plain = vector_document()
    unicode_text = vector_document()
    unicode_text["name"] = "Équipe — 協力 😀 \"quoted\" back\\slash\ttab\nnewline\rcr"
    unicode_text["credentialSubject"]["achievement"]["description"] = "Ünïcödé ✓ 🎓"
    with_evidence = vector_document()
    with_evidence["evidence"] = [{"id": "https://example.org/e/1", "type": ["Evidence"], "name": "Report"},
                                 {"type": ["Evidence"], "name": "Essay", "narrative": "Wrote it."}]
    legacy = vector_document()
    legacy["@context"] = ["https://www.w3.org/2018/credentials/v1",
                          "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    legacy["issuanceDate"] = legacy.pop("validFrom")
    return {"vector": plain, "unicode": unicode_text, "evidence": with_evidence, "vc_v1": legacy}


@pytest.mark.parametrize("name", sorted(parity_documents()))
def test_parity_with_stock_pyld(canonicalizer, name):
    document = parity_documents()[name]
    assert canonicalizer.canonicalize(document) == stock_pyld(document)


def blank_node_heavy_documents():
    identical = vector_document()
    identical["evidence"] = _evidence(4, name="Essay", narrative="Same text")
    mixed = vector_document()
    mixed["evidence"] = [*_evidence(2, name="A"), *_evidence(2, name="B"), *_evidence(1)]
    anonymous_subject = vector_document()
    subject = anonymous_subject["credentialSubject"]
    del subject["id"]
    subject["identifier"] = [
        {"type": "IdentityObject", "identityHash": "sha256$00", "identityType": "emailAddress", "hashed": True},
        {"type": "IdentityObject", "identityHash": "sha256$00", "identityType": "emailAddress", "hashed": True},
        {"type": "IdentityObject", "identityHash": "sha256$11", "identityType": "emailAddress", "hashed": True},
    ]
    subject["result"] = [{"type": ["Result"], "value": "A"}, {"type": ["Result"], "value": "A"}]
    anonymous_subject["evidence"] = _evidence(3, name="Essay")
    alignments = vector_document()
    alignments["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "Skill", "targetUrl": "https://example.org/skills/1"}
        for _ in range(3)
    ]
    return {"identical_evidence": identical, "mixed_evidence": mixed, "anonymous_subject": anonymous_subject,
            "identical_alignments": alignments}


@pytest.mark.parametrize("name", sorted(blank_node_heavy_documents()))
def test_blank_node_heavy_documents_take_the_n_degree_path_and_agree_with_stock_pyld(canonicalizer, name,
                                                                                       monkeypatch):
    calls = []
    original = RDFC10.hash_n_degree_quads

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RDFC10, "hash_n_degree_quads", counting)
    document = blank_node_heavy_documents()[name]
    ours = canonicalizer.canonicalize(document)
    assert calls, "document was meant to need N-degree hashing"
    assert ours == stock_pyld(document)
    labels = {token for line in ours.splitlines() for token in line.split() if token.startswith("_:")}
    assert labels == {f"_:c14n{i}" for i in range(len(labels))}


def test_blank_node_labels_do_not_depend_on_input_order(canonicalizer):
    document = vector_document()
    document["evidence"] = [{"type": ["Evidence"], "name": name} for name in ("A", "B", "C", "A")]
    reordered = copy.deepcopy(document)
    reordered["evidence"].reverse()
    assert canonicalizer.canonicalize(document) == canonicalizer.canonicalize(reordered)


def test_output_lines_are_sorted_and_newline_terminated(canonicalizer):
    document = blank_node_heavy_documents()["mixed_evidence"]
    canonical = canonicalizer.canonicalize(document)
    lines = canonical.split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == sorted(lines[:-1])


def test_rdfc10_on_a_named_graph_dataset():
    dataset = {
        "@default": [],
        "https://example.org/graph": [{
            "subject": {"type": "blank node", "value": "_:x"},
            "predicate": {"type": "IRI", "value": "https://schema.org/name"},
            "object": {"type": "literal", "value": "n", "datatype": "http://www.w3.org/2001/XMLSchema#string"},
        }],
    }
    assert RDFC10().canonicalize(dataset) == '_:c14n0 <https://schema.org/name> "n" <https://example.org/graph> .\n'


def test_language_tagged_and_typed_literals():
    dataset = {"@default": [
        {"subject": {"type": "IRI", "value": "https://e.org/s"},
         "predicate": {"type": "IRI", "value": "https://e.org/p"},
         "object": {"type": "literal", "value": "hi", "language": "en",
                    "datatype": "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}},
        {"subject": {"type": "IRI", "value": "https://e.org/s"},
         "predicate": {"type": "IRI", "value": "https://e.org/q"},
         "object": {"type": "literal", "value": "5", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
    ]}
    assert RDFC10().canonicalize(dataset) == (
        '<https://e.org/s> <https://e.org/p> "hi"@en .\n'
        '<https://e.org/s> <https://e.org/q> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
