"""JSON-LD processing for signing: pinned offline contexts, safe-mode expansion, RDFC-1.0.

pyld installs a network document loader as its process-wide default when it can import ``requests``
(or ``aiohttp``): a call made without our loader would fetch contexts from the web. The core never
fetches, so importing this package replaces pyld's default with a loader that refuses every URL,
whatever was imported before. Every call the core makes passes the pinned loader explicitly.
"""

from pyld import jsonld as _pyld

from .loader import refusing_loader

_pyld.set_document_loader(refusing_loader)
