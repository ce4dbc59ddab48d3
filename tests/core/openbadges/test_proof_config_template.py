"""The proof-configuration template equals the full canonicalization, and is refused when it would not."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.core.jsonld.canonicalize import Canonicalizer
from lti_tool.core.jsonld.loader import pinned_contexts, pinned_loader
from lti_tool.core.openbadges.data_integrity import _proof_config_nquads

V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"

created = st.builds(
    lambda y, mo, d, h, mi, s, frac, zone: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}",
    st.integers(1970, 2999), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59),
    st.integers(0, 59), st.sampled_from(["", ".5", ".123456"]), st.sampled_from(["Z", "+02:00", "-05:30"]))
method = st.builds(lambda host, path, frag: f"https://{host}/{path}{frag}",
                   st.from_regex(r"[a-z]{1,12}\.edu(:[0-9]{2,5})?", fullmatch=True),
                   st.from_regex(r"issuers/[a-z0-9\-]{1,36}/keys/z6Mk[1-9A-HJ-NP-Za-km-z]{10,44}", fullmatch=True),
                   st.sampled_from(["", "#key-1", "#z6MkjZRZ"]))
contexts = st.sampled_from([[V2, OB], [V2, OB, EXT], [V2]])


def config(ctx, when, vm):
    return {"type": "DataIntegrityProof", "created": when, "verificationMethod": vm,
            "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod", "@context": ctx}


@settings(max_examples=150, deadline=None)
@given(ctx=contexts, when=created, vm=method)
def test_template_equals_full_canonicalization(ctx, when, vm):
    canonicalizer = Canonicalizer()
    document = config(ctx, when, vm)
    full = canonicalizer.canonicalize(document)
    assert _proof_config_nquads(document, canonicalizer, portable=True) == full  # first call: checked
    assert _proof_config_nquads(document, canonicalizer, portable=True) == full  # later calls: template


def test_unusual_configs_canonicalize_as_the_full_path_does():
    canonicalizer = Canonicalizer()
    for document in (
        {**config([V2, OB], "2026-01-01T00:00:00Z", "https://x.edu/k"), "proofPurpose": "authentication"},
        {**config([V2, OB], "2026-01-01T00:00:00Z", "https://x.edu/k"), "expires": "2027-01-01T00:00:00Z"},
        config([V2, OB], "2026-01-01", "https://x.edu/k"),
        config([V2, OB], "2026-01-01T00:00:00Z", "https://x.edu/k|{weird}"),
        config([V2, OB], "2026-01-01T00:00:00Z", "did:key:z6MkjZRZ#z6MkjZRZ"),
    ):
        assert _proof_config_nquads(document, canonicalizer, portable=False) == canonicalizer.canonicalize(document)


def test_a_loader_that_defines_the_terms_differently_is_never_templated():
    contexts = copy.deepcopy(dict(pinned_contexts()))
    proof_terms = contexts[V2]["@context"]["DataIntegrityProof"]["@context"]
    proof_terms["created"] = {"@id": "https://example.org/made", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}
    odd = Canonicalizer(lambda url, options=None: {**pinned_loader()(url), "document": contexts[url.split("#")[0]]})
    document = config([V2, OB], "2026-01-01T00:00:00Z", "https://x.edu/k")
    expected = odd.canonicalize(document)
    assert "<https://example.org/made>" in expected
    for _ in range(3):
        assert _proof_config_nquads(document, odd, portable=False) == expected
