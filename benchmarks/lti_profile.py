"""Where a launch spends its time: named costs (cumulative) and the top functions (own time) from cProfile.

Groups split all the time (own time by package; a C function counts for the package calling it), so
they add up to 100 %. Named costs are cumulative times of chosen functions, as a share of the profiled exchanges' total:
the tool's stages (login, validation, recording, landing page), and the work inside them that one can
act on (SQL round trips, template rendering, RS256, key handling, sessions). They overlap (SQL happens
inside every stage), so they do not add up to 100 %. cProfile slows Python-level code more than C
code, so read shares, not milliseconds.
"""

from __future__ import annotations

import importlib
import inspect
import pstats
from pathlib import Path
from typing import Any

# (label, "module:qualified.name", which routes it applies to)
NAMED = [
    ("Django request handling (middleware, view, response)", "django.core.handlers.base:BaseHandler.get_response",
     "*"),
    ("  our login_start (registration lookup, state row)", "lti_tool.lti.login:login_start", "ours"),
    ("  our HardenedMessageLaunch.validated (all checks)", "lti_tool.lti.launch:HardenedMessageLaunch.validated",
     "ours"),
    ("    platform_public_key (key set row, JWK to RSA key)", "lti_tool.lti.platform_keys:platform_public_key",
     "ours"),
    ("    RS256 verify and claim checks (PyJWT decode)", "jwt.api_jwt:PyJWT.decode", "ours"),
    ("    state + nonce consumption (UPDATE + INSERT)", "lti_tool.lti.launch:HardenedMessageLaunch._consume", "ours"),
    ("  our lti_launch_open (user, course, link, membership, launch)",
     "lti_tool.services.lti_launches:lti_launch_open", "ours"),
    ("  our badge page view", "lti_tool.views.lti_pages:badge_page", "ours"),
    ("    lti_launch_get (launch token lookup)", "lti_tool.services.lti_launches:lti_launch_get", "ours"),
    ("    learner_current_award", "lti_tool.selectors:learner_current_award", "ours"),
    ("    course_badges", "lti_tool.selectors:course_badges", "ours"),
    ("  pylti1p3 OIDCLogin.redirect", "pylti1p3.oidc_login:OIDCLogin.redirect", "ref"),
    ("  pylti1p3 MessageLaunch.validate", "pylti1p3.message_launch:MessageLaunch.validate", "ref"),
    ("    get_public_key (JWK to PEM, jwcrypto)", "pylti1p3.message_launch:MessageLaunch.get_public_key", "ref"),
    ("    RS256 verify (PyJWT decode)", "jwt.api_jwt:PyJWT.decode", "ref"),
    ("  reference page view (from_cache)", "benchmarks.lti_reference:page", "ref"),
    ("session load (django_session SELECT)", "django.contrib.sessions.backends.db:SessionStore.load", "ref"),
    ("session save (django_session INSERT/UPDATE)", "django.contrib.sessions.backends.db:SessionStore.save", "ref"),
    ("ORM: SELECTs (SQLCompiler.execute_sql: compile, run, fetch)",
     "django.db.models.sql.compiler:SQLCompiler.execute_sql", "*"),
    ("ORM: INSERTs (SQLInsertCompiler.execute_sql)", "django.db.models.sql.compiler:SQLInsertCompiler.execute_sql",
     "*"),
    ("ORM: compiling SQL (SQLCompiler.as_sql)", "django.db.models.sql.compiler:SQLCompiler.as_sql", "*"),
    ("database round trips (CursorWrapper._execute: driver + server)",
     "django.db.backends.utils:CursorWrapper._execute", "*"),
    ("transactions: atomic() enter", "django.db.transaction:Atomic.__enter__", "*"),
    ("transactions: atomic() exit (commit, release)", "django.db.transaction:Atomic.__exit__", "*"),
    ("template rendering", "django.template.base:Template.render", "*"),
    ("platform: RS256 sign the id_token (PyJWT encode)", "jwt.api_jwt:PyJWT.encode", "*"),
    ("Django test client (environ, request, response)", "django.test.client:Client.request", "*"),
]


GROUPS = [  # (path fragment, group): the first match names a file's group
    ("/django/db/models/", "Django ORM: building queries, model instances"),
    ("/django/db/backends/", "database: driver calls and Django's backend glue"),
    ("/psycopg", "database: driver calls and Django's backend glue"),
    ("sqlite3", "database: driver calls and Django's backend glue"),
    ("/django/db/", "Django transactions"),
    ("/django/template/", "templates"),
    ("/django/test/", "Django test client"),
    ("/django/contrib/sessions/", "sessions (django.contrib.sessions)"),
    ("/django/", "Django request handling (handler, middleware, URLs, HTTP objects)"),
    ("/jwt/", "JWT and RSA (PyJWT, cryptography, jwcrypto)"),
    ("/cryptography/", "JWT and RSA (PyJWT, cryptography, jwcrypto)"),
    ("/jwcrypto/", "JWT and RSA (PyJWT, cryptography, jwcrypto)"),
    ("/lti_tool/", "our code (lti_tool)"),
    ("/pylti1p3/", "pylti1p3"),
    ("/benchmarks/", "benchmark harness (browser, platform claims)"),
    ("/json/", "JSON"),
]


def _group(filename: str) -> str:
    for fragment, group in GROUPS:
        if fragment in filename:
            return group
    return "Python standard library, other"


def own_time_by_group(raw: dict[Any, Any]) -> dict[str, float]:
    """Return own time per group; a C function's time goes to the group of the Python code calling it."""
    groups: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tt, _ct, callers) in raw.items():
        if filename == "~" and callers:
            for (caller_file, _cl, _cn), caller_stats in callers.items():
                group = _group(caller_file)
                groups[group] = groups.get(group, 0.0) + caller_stats[2]
        else:
            group = _group(filename)
            groups[group] = groups.get(group, 0.0) + tt
    return groups


def _code_key(target: str) -> tuple[str, int] | None:
    module_name, _, qualname = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        code = inspect.unwrap(obj).__code__
    except (ImportError, AttributeError):
        return None
    return code.co_filename, code.co_firstlineno


def _short(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "main"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1:])
    return filename if filename.startswith("<") or filename == "~" else Path(filename).name


def summarize_profile(stats: pstats.Stats, *, route: str, calls: int, wall: float, top: int = 15) -> dict[str, Any]:
    """Return named cumulative costs and the top functions by own time, as shares of the total."""
    raw = stats.stats  # type: ignore[attr-defined]
    by_code = {(filename, line): (cc, nc, tt, ct) for (filename, line, _name), (cc, nc, tt, ct, _callers)
               in raw.items()}
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())
    named = []
    for label, target, applies in NAMED:
        if applies not in ("*", route):
            continue
        key = _code_key(target)
        if key is None or key not in by_code:
            continue
        _cc, nc, _tt, ct = by_code[key]
        named.append({"label": label, "share": ct / total, "calls_per_launch": nc / calls})
    own = sorted(raw.items(), key=lambda item: -item[1][2])[:top]
    functions = [{"function": f"{name} ({_short(filename)}:{line})", "share": tt / total,
                  "calls_per_launch": nc / calls} for (filename, line, name), (_cc, nc, tt, _ct, _callers) in own]
    groups = sorted(own_time_by_group(raw).items(), key=lambda item: -item[1])
    return {"calls": calls, "ms_per_launch_profiled": 1000 * wall / calls, "named": named, "top": functions,
            "groups": [{"group": group, "share": seconds / total} for group, seconds in groups]}
