"""Framework-free core of Accolade: data shapes, Open Badges documents, signing, verifying, baking.

Nothing under this package may import Django, an HTTP client or XBlock (enforced by import-linter).
Clocks, keys and JSON-LD document loaders are passed in by the caller.
"""
