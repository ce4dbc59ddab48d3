"""Template filters for the public pages."""

from django import template

register = template.Library()

CHECK_LABELS = {
    "parse": "Input", "structure": "Structure", "jsonld": "JSON-LD terms", "proof": "Proof",
    "key": "Signing key", "issuer_key": "Issuer's key", "signature": "Signature", "claims": "JWT claims",
    "status": "Revocation", "validity": "Validity period", "internal": "Verifier",
}


@register.filter
def check_label(name: str) -> str:
    """Return the human label of a verification check name."""
    return CHECK_LABELS.get(name, name.replace("_", " ").capitalize())
