"""The memoizing pyld processor (lti_tool.core.jsonld.processor) changes nothing but speed.

Property-based: random OB 3.0 credentials canonicalize byte for byte like stock pyld, and repeated
calls through one Canonicalizer (memo hits) give the same output as a fresh one.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from lti_tool.core.data import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    AchievementDefinition,
    Alignment,
    CredentialClaims,
    Evidence,
    IdentifierEntry,
    Image,
    Profile,
    Result,
    ResultDescription,
    StatusEntry,
)
from lti_tool.core.jsonld.canonicalize import Canonicalizer
from lti_tool.core.jsonld.loader import pinned_loader
from lti_tool.core.jsonld.processor import ContextMemo, _local_context_key
from lti_tool.core.openbadges.compose import compose_credential, identity_object
from tests.core.fixtures.corekit import vector_document

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

# Text stock pyld serializes like RDFC-1.0: no control characters (pyld escapes only \t \n \r " \),
# no surrogates, no U+FFFE/U+FFFF.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
               min_size=1, max_size=40).filter(lambda s: s.strip())
SLUG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
URL = SLUG.map(lambda s: f"https://badges.example.edu/{s}")
MAYBE_TEXT = st.none() | TEXT
DAY = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
INSTANT = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                       timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))


def stock_pyld(document):
    return jsonld.normalize(copy.deepcopy(document), {
        "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": pinned_loader()})


alignments = st.lists(st.builds(
    Alignment, target_name=TEXT, target_url=URL, target_code=MAYBE_TEXT, target_description=MAYBE_TEXT,
    target_framework=MAYBE_TEXT, target_type=st.none() | st.sampled_from(sorted(ALIGNMENT_TARGET_TYPES)),
), max_size=3)


@st.composite
def achievements(draw):
    return AchievementDefinition(
        id=draw(URL), name=draw(TEXT), description=draw(TEXT),
        criteria_narrative=draw(TEXT), criteria_id=draw(st.none() | URL),
        image=draw(st.none() | st.builds(Image, id=URL, caption=MAYBE_TEXT)),
        achievement_type=draw(st.sampled_from(sorted(ACHIEVEMENT_TYPES)) | st.just("ext:Microcert")),
        creator=draw(st.none() | st.builds(Profile, id=URL, name=TEXT)),
        human_code=draw(MAYBE_TEXT), field_of_study=draw(MAYBE_TEXT), tags=tuple(draw(st.lists(TEXT, max_size=3))),
        language=draw(st.none() | st.sampled_from(["en", "fr", "es-MX"])),
        credits_available=draw(st.none() | st.floats(min_value=0, max_value=200, allow_nan=False).map(
            lambda f: round(f, 2))),
        alignments=tuple(draw(alignments)),
        result_descriptions=tuple(draw(st.lists(st.builds(
            ResultDescription, id=URL, name=TEXT, result_type=st.sampled_from(["Status", "LetterGrade", "Percent"]),
            allowed_values=st.lists(TEXT, max_size=3).map(tuple)), max_size=2, unique_by=lambda r: r.id))),
        other_identifiers=tuple(draw(st.lists(st.builds(
            IdentifierEntry, identifier=TEXT, identifier_type=st.sampled_from(["sisSourcedId", "identifier"])),
            max_size=2))),
    )


@st.composite
def claims(draw):
    subject_id = draw(st.none() | SLUG.map(lambda s: f"did:example:{s}"))
    identifiers = draw(st.lists(st.builds(
        lambda kind, value, salt: identity_object(kind, value, salt=salt),
        st.sampled_from(["emailAddress", "sisSourcedId", "name"]), TEXT, st.none() | SLUG), max_size=3,
        min_size=0 if subject_id else 1))
    valid_from = draw(INSTANT)
    return CredentialClaims(
        id=draw(SLUG.map(lambda s: f"urn:uuid:{s}")),
        issuer=draw(st.builds(Profile, id=URL, name=TEXT, url=st.none() | URL, description=MAYBE_TEXT)),
        achievement=draw(achievements()),
        valid_from=valid_from,
        valid_until=draw(st.none() | st.integers(1, 2000).map(lambda d: valid_from + timedelta(days=d))),
        subject_id=subject_id,
        identifiers=tuple(identifiers),
        name=draw(MAYBE_TEXT), description=draw(MAYBE_TEXT),
        evidence=tuple(draw(st.lists(st.builds(Evidence, id=st.none() | URL, name=MAYBE_TEXT, narrative=MAYBE_TEXT),
                                     max_size=4))),
        results=tuple(draw(st.lists(st.builds(Result, value=MAYBE_TEXT, status=st.none() | st.just("Completed")),
                                    max_size=2))),
        credits_earned=draw(st.none() | st.integers(0, 30)),
        activity_start_date=draw(st.none() | DAY),
        term=draw(MAYBE_TEXT), narrative=draw(MAYBE_TEXT),
        status=draw(st.none() | st.builds(StatusEntry, status_list_credential=URL,
                                          status_list_index=st.integers(0, 131071))),
        include_schema=draw(st.booleans()),
    )


# A Canonicalizer shared by all examples: later examples hit the memo filled by earlier ones.
SHARED = Canonicalizer()


@SETTINGS
@given(claims())
def test_random_credentials_canonicalize_like_stock_pyld(credential_claims):
    document = compose_credential(credential_claims)
    expected = stock_pyld(document)
    assert SHARED.canonicalize(document) == expected
    assert SHARED.canonicalize(document) == expected  # second call: every context from the memo
    assert Canonicalizer().canonicalize(document) == expected  # empty memo


INLINE_TERMS = st.dictionaries(st.sampled_from(["registrarId", "campus", "cohort", "section"]), TEXT,
                               min_size=1, max_size=4)


@SETTINGS
@given(claims(), INLINE_TERMS, st.booleans())
def test_inline_contexts_canonicalize_like_stock_pyld(credential_claims, extra, scoped):
    document = compose_credential(credential_claims)
    terms = {key: f"https://accolade.example/terms#{key}" for key in extra}
    if scoped:
        # An embedded context on a node object (a property-scoped definition inside the document).
        document["credentialSubject"]["@context"] = terms
        document["credentialSubject"].update(extra)
    else:
        document["@context"] = [*document["@context"], terms]
        document.update(extra)
    expected = stock_pyld(document)
    assert SHARED.canonicalize(document) == expected
    assert SHARED.canonicalize(copy.deepcopy(document)) == expected


@SETTINGS
@given(claims())
def test_legacy_vc_v1_credentials_canonicalize_like_stock_pyld(credential_claims):
    document = compose_credential(credential_claims)
    document["@context"] = ["https://www.w3.org/2018/credentials/v1", *document["@context"][1:]]
    document["issuanceDate"] = document.pop("validFrom")
    if "validUntil" in document:
        document["expirationDate"] = document.pop("validUntil")
    document.pop("credentialStatus", None)  # BitstringStatusListEntry is a VC v2 term
    expected = stock_pyld(document)
    assert SHARED.canonicalize(document) == expected


def test_interleaved_documents_give_the_same_output_as_fresh_canonicalizers():
    documents = []
    for index, extra_context in enumerate([None, {"x": "https://e.example/x"}, {"x": "https://e.example/other-x"},
                                           None, {"x": "https://e.example/x"}]):
        document = vector_document()
        document["name"] = f"Badge {index}"
        if extra_context:
            document["@context"] = [*document["@context"], extra_context]
            document["x"] = "value"
        documents.append(document)
    expected = [Canonicalizer().canonicalize(d) for d in documents]
    shared = Canonicalizer()
    for _ in range(3):
        assert [shared.canonicalize(d) for d in documents] == expected
    # The two different definitions of "x" must not be confused by the memo.
    assert "<https://e.example/x>" in expected[1]
    assert "<https://e.example/other-x>" in expected[2]


def test_mutating_an_inline_context_in_place_is_seen(canonicalizer):
    document = vector_document()
    context = {"x": "https://e.example/first"}
    document["@context"].append(context)
    document["x"] = "value"
    first = canonicalizer.canonicalize(document)
    context["x"] = "https://e.example/second"
    second = canonicalizer.canonicalize(document)
    assert "<https://e.example/first>" in first
    assert "<https://e.example/second>" in second


def test_memo_is_used():
    canonicalizer = Canonicalizer()
    canonicalizer.canonicalize(vector_document())
    filled = len(canonicalizer._memo._entries)
    assert filled > 0
    canonicalizer.canonicalize(vector_document())
    assert len(canonicalizer._memo._entries) == filled  # all hits, nothing new


def test_memo_is_bounded():
    memo = ContextMemo(size=2)
    for index in range(5):
        memo.put(("k", index), {"n": index}, None)
    assert memo.get(("k", 0)) is None
    assert memo.get(("k", 4)) == {"n": 4}
    assert len(memo._entries) == 2


@pytest.mark.parametrize(("context", "expected_kind"), [
    ("https://www.w3.org/ns/credentials/v2", "url"),
    (["https://a.example", "https://b.example"], "urls"),
    ({"x": "https://e.example/x"}, "object"),
    (["https://a.example", {"x": "https://e.example/x"}], "object"),
    (None, None),
])
def test_local_context_keys(context, expected_kind):
    key = _local_context_key(context)
    assert (key[0] if key else None) == expected_kind
