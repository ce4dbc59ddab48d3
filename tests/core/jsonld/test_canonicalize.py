"""The Canonicalizer front end (lti_tool.core.jsonld.canonicalize)."""

from __future__ import annotations

import threading

import pytest

from lti_tool.core.jsonld.canonicalize import Canonicalizer, JsonLdProcessingError
from lti_tool.core.jsonld.loader import UnknownDocumentError, pinned_loader
from lti_tool.core.jsonld.safe_mode import RELATIVE_BASE, UnsafeDocumentError
from tests.core.fixtures.corekit import FIXTURES, vector_document

DOCUMENT_CANON = (FIXTURES / "ob3_vector_document_canon.nq").read_text(encoding="utf-8")


def test_default_loader_is_the_pinned_one():
    assert Canonicalizer().canonicalize(vector_document()) == DOCUMENT_CANON


def test_custom_loader_is_used():
    asked = []
    pinned = pinned_loader()

    def loader(url, options=None):
        asked.append(url)
        return pinned(url, options)

    assert Canonicalizer(loader).canonicalize(vector_document()) == DOCUMENT_CANON
    assert "https://www.w3.org/ns/credentials/v2" in asked


def test_loader_refusal_becomes_a_processing_error():
    def refuse(url, options=None):
        raise UnknownDocumentError(url)

    with pytest.raises(JsonLdProcessingError, match="invalid JSON-LD"):
        Canonicalizer(refuse).canonicalize(vector_document())


def test_to_dataset_shape(canonicalizer):
    dataset = canonicalizer.to_dataset(vector_document())
    assert set(dataset) == {"@default"}
    triples = dataset["@default"]
    assert len(triples) == DOCUMENT_CANON.count("\n")
    assert all(set(t) >= {"subject", "predicate", "object"} for t in triples)


def test_input_document_is_not_modified(canonicalizer):
    document = vector_document()
    before = repr(document)
    canonicalizer.canonicalize(document)
    assert repr(document) == before


def test_sentinel_base_never_reaches_the_output(canonicalizer):
    document = vector_document()
    document["credentialSubject"]["achievement"]["id"] = "achievements/teamwork"
    lossy = canonicalizer.canonicalize(document, safe=False)
    assert RELATIVE_BASE not in lossy
    assert "achievements/teamwork" not in lossy
    with pytest.raises(UnsafeDocumentError):
        canonicalizer.canonicalize(document)


def test_deeply_nested_document_is_a_processing_error(canonicalizer):
    document = {"@context": {"@vocab": "https://e.example/"}, "@id": "https://e.example/root"}
    node = document
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    node["leaf"] = "x"
    with pytest.raises(JsonLdProcessingError, match="nested too deeply"):
        canonicalizer.canonicalize(document)


def test_not_a_json_ld_document(canonicalizer):
    with pytest.raises((JsonLdProcessingError, UnsafeDocumentError)):
        canonicalizer.canonicalize({"@context": 42, "name": "x"})


def test_shared_between_threads(canonicalizer):
    documents = []
    for index in range(8):
        document = vector_document()
        document["name"] = f"Badge {index}"
        documents.append(document)
    expected = [Canonicalizer().canonicalize(d) for d in documents]
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(index):
        try:
            for _ in range(5):
                results[index] = canonicalizer.canonicalize(documents[index])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(documents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [results[i] for i in range(len(documents))] == expected
