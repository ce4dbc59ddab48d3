"""JSON-LD safe mode (lti_tool.core.jsonld.safe_mode + Canonicalizer): refuse documents that would
lose data, name the culprit, and in unsafe mode drop exactly what jsonld.js drops.

What jsonld.js (jsonld 9 + rdf-canonize 5) produces for each case in unsafe mode, and that it
rejects each in safe mode, was computed once by ``fixtures/make_golden.py --oracle``.
"""

from __future__ import annotations

import json

import pytest

from lti_tool.core.jsonld.canonicalize import JsonLdProcessingError
from lti_tool.core.jsonld.safe_mode import (
    RELATIVE_BASE,
    UnsafeDocumentError,
    count_expanded_values,
    count_input_values,
    find_unsafe_iris,
    is_absolute_iri,
)
from tests.core.fixtures.corekit import (
    FIXTURES,
    GOLDEN_CLAIMS,
    SAFE_MODE_CASES,
    safe_mode_document,
    vector_document,
)

JSONLD_JS = json.loads((FIXTURES / "jsonld_js_expected.json").read_text(encoding="utf-8"))
CASES = sorted(SAFE_MODE_CASES)


def test_oracle_covers_every_case():
    assert set(JSONLD_JS["safe_mode_unsafe_nquads"]) == set(SAFE_MODE_CASES)


@pytest.mark.parametrize("name", CASES)
def test_unsafe_document_is_refused_naming_the_culprit(canonicalizer, name):
    document = safe_mode_document(name)
    culprit = SAFE_MODE_CASES[name][1]
    with pytest.raises(UnsafeDocumentError) as caught:
        canonicalizer.canonicalize(document)
    problems = caught.value.problems
    assert problems
    assert any(culprit in problem for problem in problems), problems
    assert culprit in str(caught.value) or len(problems) > 8


@pytest.mark.parametrize("name", CASES)
def test_unsafe_document_is_refused_by_to_dataset_too(canonicalizer, name):
    with pytest.raises(UnsafeDocumentError):
        canonicalizer.to_dataset(safe_mode_document(name))


@pytest.mark.parametrize("name", CASES)
def test_unsafe_mode_drops_what_jsonld_js_drops(canonicalizer, name):
    document = safe_mode_document(name)
    assert canonicalizer.canonicalize(document, safe=False) == JSONLD_JS["safe_mode_unsafe_nquads"][name]


ADDITIONS = ["custom_top_level_field", "custom_achievement_field", "issuance_date_in_v2", "term_mapped_to_null"]


@pytest.mark.parametrize("name", ADDITIONS)
def test_in_unsafe_mode_an_undefined_addition_vanishes_entirely(canonicalizer, name):
    # What safe mode prevents: the signature would cover the vector's data but not the addition.
    lossy = canonicalizer.canonicalize(safe_mode_document(name), safe=False)
    assert lossy == canonicalizer.canonicalize(vector_document())


def test_lone_surrogate_survives_unsafe_mode_but_cannot_be_hashed(canonicalizer):
    lossy = canonicalizer.canonicalize(safe_mode_document("lone_surrogate"), safe=False)
    with pytest.raises(UnicodeEncodeError):
        lossy.encode("utf-8")


def test_jsonld_js_refuses_the_same_documents_in_safe_mode():
    # Our refusals are not stricter than jsonld.js's, except for the lone surrogate (see above).
    refused = JSONLD_JS["safe_mode_jsonld_js_safe_rejects"]
    assert {name for name, rejected in refused.items() if not rejected} == {"lone_surrogate"}


def test_extra_field_dropped_silently_by_stock_pyld_is_refused(canonicalizer):
    document = vector_document()
    document["credentialSubject"]["achievement"]["registrarNote"] = "signature would not cover this"
    with pytest.raises(UnsafeDocumentError, match="registrarNote"):
        canonicalizer.canonicalize(document)
    # ... and in unsafe mode the note simply vanishes, which is what safe mode prevents.
    lossy = canonicalizer.canonicalize(document, safe=False)
    assert lossy == canonicalizer.canonicalize(vector_document())


@pytest.mark.parametrize("name", sorted(GOLDEN_CLAIMS))
def test_composed_credentials_pass(canonicalizer, name):
    from lti_tool.core.openbadges.compose import compose_credential

    document = compose_credential(GOLDEN_CLAIMS[name]())
    assert canonicalizer.canonicalize(document).count("\n") > 10


def test_vector_passes(canonicalizer):
    assert canonicalizer.canonicalize(vector_document())


def test_custom_field_defined_by_an_inline_context_passes(canonicalizer):
    document = vector_document()
    document["@context"] = [*document["@context"], {"registrarId": "https://accolade.example/terms#registrarId"}]
    document["registrarId"] = "REG-1"
    assert "<https://accolade.example/terms#registrarId> \"REG-1\"" in canonicalizer.canonicalize(document)


def test_bitstring_status_entry_needs_no_extension_context(canonicalizer):
    document = vector_document()
    document["credentialStatus"] = {"id": "https://example.edu/status/1#5", "type": "BitstringStatusListEntry",
                                    "statusPurpose": "revocation", "statusListIndex": "5",
                                    "statusListCredential": "https://example.edu/status/1"}
    assert canonicalizer.canonicalize(document)


def test_1edtech_revocation_list_needs_the_extension_context(canonicalizer):
    document = vector_document()
    document["credentialStatus"] = {"id": "https://example.edu/revocations", "type": "1EdTechRevocationList"}
    with pytest.raises(UnsafeDocumentError, match="1EdTechRevocationList"):
        canonicalizer.canonicalize(document)
    document["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    assert canonicalizer.canonicalize(document)


def test_image_as_a_bare_string_is_fine_for_json_ld(canonicalizer):
    # Research §7 item 5: a bare string image passes JSON-LD (it fails the JSON schema, checked elsewhere).
    document = vector_document()
    document["credentialSubject"]["achievement"]["image"] = "https://example.com/badge.png"
    assert canonicalizer.canonicalize(document)


def test_unknown_keyword_like_key_is_refused(canonicalizer):
    document = vector_document()
    document["@nonsense"] = "x"
    with pytest.raises(UnsafeDocumentError, match="@nonsense"):
        canonicalizer.canonicalize(document)


def test_free_floating_value_is_counted(canonicalizer):
    document = vector_document()
    document["credentialSubject"]["achievement"]["name"] = {"@language": "en"}
    with pytest.raises(UnsafeDocumentError):
        canonicalizer.canonicalize(document)


@pytest.mark.parametrize("context", [
    "https://evil.example/context.json",
    {"@import": "https://evil.example/context.json"},
])
def test_unpinned_context_is_a_processing_error(canonicalizer, context):
    document = vector_document()
    document["@context"].append(context)
    with pytest.raises(JsonLdProcessingError, match="invalid JSON-LD"):
        canonicalizer.canonicalize(document)


def test_pyld_internal_crash_is_a_processing_error(canonicalizer):
    # pyld 3.3.0 raises KeyError on {"@vocab": null} when no @vocab was set.
    document = vector_document()
    document["@context"].append({"@vocab": None})
    with pytest.raises(JsonLdProcessingError):
        canonicalizer.canonicalize(document)


def test_protected_term_redefinition_is_a_processing_error(canonicalizer):
    document = vector_document()
    document["@context"].append({"name": "https://evil.example/name"})
    with pytest.raises(JsonLdProcessingError, match="protected"):
        canonicalizer.canonicalize(document)


@pytest.mark.parametrize(("value", "expected"), [
    ("https://example.org/x", True),
    ("urn:uuid:123", True),
    ("did:key:z6Mk", True),
    ("_:b0", False),
    ("relative/path", False),
    ("https://example.org/a b", False),
    (RELATIVE_BASE + "x", False),
    (42, False),
    (None, False),
])
def test_is_absolute_iri(value, expected):
    assert is_absolute_iri(value) is expected


def test_value_counts():
    document = {"@context": ["ignored"], "a": "x", "b": [1, 2, None], "c": {"@value": None}, "d": {"e": True}}
    assert count_input_values(document) == 4
    expanded = [{"@id": "https://e/1", "@type": ["https://e/T"], "https://e/p": [{"@value": "x"}, {"@value": 1}]}]
    assert count_expanded_values(expanded) == 4


def test_find_unsafe_iris_reports_paths():
    expanded = [{"@id": RELATIVE_BASE + "rel", "@type": ["NotAnIri"],
                 "_:blankprop": [{"@value": "x"}],
                 "https://e/p": [{"@value": "v", "@type": "relative-datatype"}]}]
    problems = list(find_unsafe_iris(expanded))
    assert any("'rel' is a relative IRI" in p for p in problems)
    assert any("NotAnIri" in p for p in problems)
    assert any("_:blankprop" in p for p in problems)
    assert any("relative-datatype" in p for p in problems)
