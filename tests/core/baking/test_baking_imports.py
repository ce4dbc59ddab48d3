"""The baking package stays framework-free: standard library and defusedxml only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import lti_tool.core.baking as baking

PACKAGE_DIR = Path(baking.__file__).parent
ALLOWED_THIRD_PARTY = {"defusedxml"}
FORBIDDEN = {"django", "requests", "urllib", "urllib3", "http", "httpx", "rest_framework", "pylti1p3", "xblock"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_baking_modules_import_only_stdlib_and_defusedxml():
    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert modules
    for module in modules:
        roots = imported_roots(module)
        assert not roots & FORBIDDEN, module.name
        assert roots <= set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY, (module.name, roots)


def test_public_api_is_reexported():
    expected = {"BakingError", "BakedPayload", "PngInfo", "bake_png", "unbake_png", "bake_svg", "unbake_svg"}
    expected |= {"unbake", "check_png", "sanitize_svg", "MAX_IMAGE_BYTES", "MAX_DIMENSION", "MAX_TEXT_BYTES"}
    assert expected <= set(baking.__all__)
    assert all(hasattr(baking, name) for name in baking.__all__)
    assert issubclass(baking.BakingError, ValueError)
