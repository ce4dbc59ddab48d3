"""Pinned, offline JSON-LD contexts (lti_tool.core.jsonld.loader)."""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from lti_tool.core.jsonld import loader
from lti_tool.core.jsonld.loader import (
    PinnedContextMismatchError,
    UnknownDocumentError,
    pinned_contexts,
    pinned_loader,
)

CONTEXTS_DIR = Path(str(resources.files("lti_tool.core.jsonld").joinpath("contexts")))
MANIFEST = json.loads((CONTEXTS_DIR / "manifest.json").read_text(encoding="utf-8"))

# Digest of the bytes of context-3.0.3.json as released in 1EdTech/openbadges-specification
# (research notes §6), independent of our manifest.
OB_303_RELEASE_SHA256 = "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761"


@pytest.fixture
def fresh_cache():
    """Clear the memoized contexts before and after a test that changes where they come from."""
    pinned_contexts.cache_clear()
    yield
    pinned_contexts.cache_clear()


@pytest.mark.parametrize("url", sorted(MANIFEST))
def test_each_pinned_file_matches_its_manifest_digest(url):
    entry = MANIFEST[url]
    raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
    assert pinned_contexts()[url] == json.loads(raw)


def test_every_context_file_is_in_the_manifest():
    listed = {entry["file"] for entry in MANIFEST.values()}
    on_disk = {path.name for path in CONTEXTS_DIR.iterdir() if path.name != "manifest.json"}
    assert on_disk == listed


def test_ob_context_303_is_the_1edtech_release():
    raw = (CONTEXTS_DIR / MANIFEST["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OB_303_RELEASE_SHA256


def test_loader_serves_pinned_context_in_pyld_shape():
    url = "https://www.w3.org/ns/credentials/v2"
    document = pinned_loader()(url, None)
    assert document["documentUrl"] == url
    assert document["contextUrl"] is None
    assert document["document"]["@context"]["VerifiableCredential"]


def test_loader_ignores_fragment():
    url = "https://www.w3.org/ns/did/v1"
    assert pinned_loader()(url + "#key-1", None)["document"] == pinned_contexts()[url]


@pytest.mark.parametrize("url", [
    "https://evil.example/context.json",
    "https://www.w3.org/ns/credentials/v3",
    "http://www.w3.org/ns/credentials/v2",  # scheme matters: not pinned
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.4.json",
    "",
])
def test_unknown_url_is_refused_without_network(url, monkeypatch):
    import socket

    def no_connections(*args, **kwargs):
        raise AssertionError("the loader tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_connections)
    monkeypatch.setattr(socket.socket, "connect", no_connections)
    with pytest.raises(UnknownDocumentError) as caught:
        pinned_loader()(url, None)
    assert caught.value.url == url


def test_extra_documents_are_served_but_never_override_pinned():
    v2 = "https://www.w3.org/ns/credentials/v2"
    extra = {"https://issuer.example/profile": {"id": "https://issuer.example/profile"},
             v2: {"@context": {"hijacked": "https://evil.example/"}}}
    load = pinned_loader(extra)
    assert load("https://issuer.example/profile", None)["document"] == {"id": "https://issuer.example/profile"}
    assert load(v2, None)["document"] == pinned_contexts()[v2]


def _copy_contexts(tmp_path: Path) -> Path:
    target = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, target)
    return target


class _FakeFiles:
    """Stand-in for importlib.resources.files(package) pointing at a temporary copy."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def joinpath(self, name: str) -> Path:
        return self.root / name


def _use_copy(monkeypatch, copy_dir: Path) -> None:
    monkeypatch.setattr(loader.resources, "files", lambda package: _FakeFiles(copy_dir.parent))


def test_untouched_copy_loads(tmp_path, monkeypatch, fresh_cache):
    _use_copy(monkeypatch, _copy_contexts(tmp_path))
    assert set(pinned_contexts()) == set(MANIFEST)


def test_tampered_context_file_is_refused(tmp_path, monkeypatch, fresh_cache):
    copy_dir = _copy_contexts(tmp_path)
    target = copy_dir / MANIFEST["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]["file"]
    data = json.loads(target.read_text(encoding="utf-8"))
    data["@context"]["name"] = "https://evil.example/name"
    target.write_text(json.dumps(data), encoding="utf-8")
    _use_copy(monkeypatch, copy_dir)
    with pytest.raises(PinnedContextMismatchError, match=r"ob-v3p0-context-3\.0\.3\.json"):
        pinned_contexts()
    with pytest.raises(PinnedContextMismatchError):
        pinned_loader()


def test_whitespace_change_in_context_file_is_refused(tmp_path, monkeypatch, fresh_cache):
    copy_dir = _copy_contexts(tmp_path)
    target = copy_dir / MANIFEST["https://www.w3.org/ns/credentials/v2"]["file"]
    target.write_bytes(target.read_bytes() + b"\n")
    _use_copy(monkeypatch, copy_dir)
    with pytest.raises(PinnedContextMismatchError):
        pinned_contexts()


def test_tampered_manifest_digest_is_refused(tmp_path, monkeypatch, fresh_cache):
    copy_dir = _copy_contexts(tmp_path)
    manifest = json.loads((copy_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["https://www.w3.org/ns/did/v1"]["sha256"] = "0" * 64
    (copy_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _use_copy(monkeypatch, copy_dir)
    with pytest.raises(PinnedContextMismatchError, match=r"did-v1\.jsonld"):
        pinned_contexts()


def test_manifest_pointing_a_url_at_another_file_is_refused(tmp_path, monkeypatch, fresh_cache):
    copy_dir = _copy_contexts(tmp_path)
    manifest = json.loads((copy_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["https://www.w3.org/ns/credentials/v2"]["file"] = "credentials-v1.jsonld"
    (copy_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _use_copy(monkeypatch, copy_dir)
    with pytest.raises(PinnedContextMismatchError):
        pinned_contexts()
