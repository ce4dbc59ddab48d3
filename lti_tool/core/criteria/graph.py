"""Badges that require other badges: reject cycles when a definition is saved, order evaluation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .rules import CriteriaError


def check_acyclic(requires: Mapping[str, Iterable[str]]) -> None:
    """Raise :class:`CriteriaError` naming the cycle if badge prerequisites loop back on themselves.

    ``requires`` maps a badge's public id to the ids of the badges its criteria require. Ids that
    are required but not keys (badges of other courses, retired badges) are leaves.
    """
    order(requires)


def order(requires: Mapping[str, Iterable[str]]) -> list[str]:
    """Return the badges with every prerequisite before the badges that need it (depth first).

    Ties are broken by id so the order is the same on every run.
    """
    graph = {badge: sorted(set(needs)) for badge, needs in requires.items()}
    for badge, needs in graph.items():
        if badge in needs:
            raise CriteriaError(f"badge {badge} requires itself")
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    result: list[str] = []
    for start in sorted(graph):
        if state.get(start):
            continue
        path: list[str] = [start]
        stack: list[tuple[str, list[str]]] = [(start, list(reversed(graph.get(start, []))))]
        state[start] = 1
        while stack:
            badge, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[badge] = 2
                result.append(badge)
                continue
            needed = pending.pop()
            seen = state.get(needed)
            if seen == 1:
                cycle = [*path[path.index(needed):], needed]
                raise CriteriaError("badge prerequisites form a cycle: " + " → ".join(cycle))
            if seen == 2:
                continue
            state[needed] = 1
            path.append(needed)
            stack.append((needed, list(reversed(graph.get(needed, [])))))
    return [badge for badge in result if badge in graph]
