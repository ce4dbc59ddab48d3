"""Turn a JSON-LD document into canonical N-Quads (RDFC-1.0), refusing lossy documents.

One :class:`Canonicalizer` per document loader: it keeps the processed contexts of that loader
between calls (see :mod:`.processor`), so reuse it. It is safe to share between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdError, _is_absolute_iri

from .loader import DocumentLoader, pinned_loader
from .processor import ContextMemo, MemoizingProcessor
from .rdfc import RDFC10, portability_problems
from .safe_mode import (
    RELATIVE_BASE,
    UnsafeDocumentError,
    count_expanded_values,
    count_input_values,
    find_unsafe_iris,
    mentions_relative_base,
)

Dataset = dict[str, list[dict[str, Any]]]


class JsonLdProcessingError(ValueError):
    """Raise when a document cannot be processed as JSON-LD at all (bad context, bad syntax)."""


class Canonicalizer:
    """Expand, check and canonicalize JSON-LD documents with one document loader."""

    def __init__(self, loader: DocumentLoader | None = None) -> None:
        self._loader = loader or pinned_loader()
        self._memo = ContextMemo()
        self._resolved = LRUCache(maxsize=256)

    def to_dataset(self, document: Mapping[str, Any], *, safe: bool = True) -> Dataset:
        """Return the RDF dataset of ``document``.

        Args:
            document: a compacted JSON-LD document.
            safe: refuse the document if processing would drop any of its data.

        Raises:
            UnsafeDocumentError: ``safe`` is set and data would be dropped.
            JsonLdProcessingError: the document is not valid JSON-LD.
        """
        dropped: list[str] = []

        def on_drop(expanded_property: str | None, key: str | None) -> None:
            if expanded_property is None:
                dropped.append(f"term {key!r} is mapped to null (or is not a keyword) and would be dropped")
            else:
                dropped.append(f"term {expanded_property!r} is not defined by any context and would be dropped")

        processor = MemoizingProcessor(self._memo, on_drop)
        options = {
            "base": RELATIVE_BASE,
            "documentLoader": self._loader,
            "contextResolver": ContextResolver(self._resolved, self._loader),
            "processingMode": "json-ld-1.1",
            "extractAllScripts": True,
            "produceGeneralizedRdf": False,
            "isFrame": False,
            "keepFreeFloatingNodes": False,
        }
        try:
            expanded = processor.expand(dict(document), options)
        except JsonLdError as error:
            raise JsonLdProcessingError(_describe(error)) from error
        except RecursionError as error:
            raise JsonLdProcessingError("document is nested too deeply") from error
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            # pyld crashes instead of raising JsonLdError on some inputs, e.g. {"@vocab": null}
            # when no @vocab is set; report those as unprocessable documents too.
            raise JsonLdProcessingError(f"invalid JSON-LD: the processor failed ({type(error).__name__})") from error

        if safe:
            problems = dropped + list(find_unsafe_iris(expanded))
            if not problems:
                before, after = count_input_values(document), count_expanded_values(expanded)
                if after < before:
                    problems.append(f"{before - after} value(s) would be dropped by expansion")
            if problems:
                raise UnsafeDocumentError(problems)

        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, dict] = {"@default": {}}
        try:
            processor._create_node_map(expanded, node_map, "@default", issuer)
            dataset: Dataset = {}
            for graph_name, graph in sorted(node_map.items()):
                if graph_name == "@default" or _is_absolute_iri(graph_name):
                    triples = processor._graph_to_rdf(graph, issuer, options)
                    # Like jsonld.js, drop what only a relative reference produced (unsafe mode).
                    dataset[graph_name] = [t for t in triples if not any(
                        mentions_relative_base(t[position]) for position in ("subject", "predicate", "object"))]
        except JsonLdError as error:
            raise JsonLdProcessingError(_describe(error)) from error
        return dataset

    def canonicalize(self, document: Mapping[str, Any], *, safe: bool = True, portable: bool = False) -> str:
        """Return the canonical N-Quads of ``document`` (RDFC-1.0), checked as in :meth:`to_dataset`.

        Args:
            document: a compacted JSON-LD document.
            safe: refuse the document if processing would drop any of its data.
            portable: also refuse text that JavaScript verifiers canonicalize differently (used when
                signing; see :func:`.rdfc.portability_problems`).
        """
        canonical = RDFC10().canonicalize(self.to_dataset(document, safe=safe))
        if portable:
            problems = portability_problems(canonical)
            if problems:
                raise UnsafeDocumentError(problems)
        return canonical


def _describe(error: JsonLdError) -> str:
    parts = [str(error).split("\n", 1)[0]]
    cause = error.__cause__
    while cause is not None and len(parts) < 4:
        parts.append(str(cause).split("\n", 1)[0])
        cause = cause.__cause__
    return "invalid JSON-LD: " + " <- ".join(p for p in parts if p)
