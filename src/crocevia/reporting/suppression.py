"""Secondary (complementary) suppression of the masked report (issue 15, item 6).

Masking a count below three ("<3") is not enough when the same table, or another table of
the report, shows the total and the other parts: "Persone servite" 574 with 14 + 29 + 531
shown gives the masked cell by subtraction. This module decides, for the figures of a
report, which are hidden:

- `Figure`: one number of the report, wherever it is shown (a figure shown in two tables,
  like the persons served in the key figures and as the total of the breakdown by sex, is
  one figure). `sensitive` figures (the counts of a breakdown by citizenship) below
  `below` are the primary cells, shown as "<3".
- `Relation`: what a reader knows ties the figures: `Σ coefficient × figure = rhs`
  (an additive table: the parts minus the total is 0) or `≤ rhs` (the listed countries
  of a group are at most the group; the top list is in decreasing order).
- `protect(figures, relations)`: primary cells, then complementary cells ("withheld") added
  one at a time until, in what a reader can see,
    * no hidden figure is determined: over the integer values every hidden figure may take
      (a "<3" cell 0–2, or from its floor; a withheld count of a breakdown at least 3,
      since a smaller one would have been "<3"; any other withheld figure from its floor),
      each hidden figure can take at least two values, and
    * every additive relation whose total is shown and that has hidden parts hides at least
      `below` persons in them (the protection interval: two "<3" cells that add up to 1
      from a total tell that one group is empty and the other a single person).
  The cell added is the smallest shown figure of a relation with the problem (ties: the
  order of the figures), so the result is deterministic and hides as little as it can;
  when the parts are all hidden the total is hidden too.

The reader's bounds are computed exactly over the integers (bounds propagation and
bisection, `_feasible`): the systems are a few dozen figures, so this takes milliseconds.
"""

from dataclasses import dataclass

SHOWN, PRIMARY, WITHHELD = "shown", "primary", "withheld"


@dataclass
class Figure:
    key: str
    value: int
    sensitive: bool = False  # a count of a breakdown by citizenship
    floor: int = 0  # the least value a reader knows it has (1: a country in the top list)


@dataclass(frozen=True)
class Relation:
    terms: tuple[tuple[str, int], ...]  # (figure key, coefficient)
    rhs: int = 0
    equal: bool = True  # else Σ ≤ rhs
    total: str | None = None  # an additive table: the key of its total (the others add up)


def additive(total: str, parts) -> Relation:
    """parts add up to total."""
    return Relation(tuple((p, 1) for p in parts) + ((total, -1),), 0, True, total)


def at_most(parts, whole: str) -> Relation:
    """Σ parts ≤ whole."""
    return Relation(tuple((p, 1) for p in parts) + ((whole, -1),), 0, False)


def not_less(first: str, second: str, *, strictly: bool = False) -> Relation:
    """first ≥ second (+1 when strictly): the order of a ranked list."""
    return Relation(((second, 1), (first, -1)), -1 if strictly else 0, False)


def protect(figures: list[Figure], relations: list[Relation], *, below: int = 3) -> dict:
    """{figure key: SHOWN | PRIMARY | WITHHELD}."""
    by_key = {f.key: f for f in figures}
    state = {f.key: PRIMARY if f.sensitive and f.value < below else SHOWN for f in figures}
    if PRIMARY not in state.values():
        return state
    order = {f.key: i for i, f in enumerate(figures)}
    relations = [r for r in relations if all(k in by_key for k, _c in r.terms)]
    for keys, group in _components(list(by_key), relations):
        if any(state[k] == PRIMARY for k in keys):
            _protect_component(keys, group, by_key, order, state, below)
    return state


def _components(keys: list[str], relations: list[Relation]):
    """The figures and relations that hang together: [(keys, relations)], in order."""
    parent = {k: k for k in keys}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for relation in relations:
        first = relation.terms[0][0]
        for k, _c in relation.terms[1:]:
            parent[root(k)] = root(first)
    groups: dict[str, tuple[list, list]] = {}
    for k in keys:
        groups.setdefault(root(k), ([], []))[0].append(k)
    for relation in relations:
        groups[root(relation.terms[0][0])][1].append(relation)
    return list(groups.values())


# How many branches the exact search of one component may explore before it gives up.
# Giving up fails closed: the whole component is withheld (a page never waits on a proof,
# and no figure is shown that was not proved safe).
SEARCH_BUDGET = 20_000


class _OutOfBudget(Exception):
    pass


def _protect_component(keys, relations, by_key, order, state, below) -> None:
    """Withhold figures of one component, one at a time, until no problem is left; if the
    proof runs out of budget or of figures to withhold, withhold the whole component."""
    budget = [SEARCH_BUDGET]
    try:
        for _round in range(len(keys) + 1):
            problems = _problems(keys, relations, by_key, state, below, budget)
            if not problems:
                return
            problem = problems[0]
            candidates = _shown_in(problem, state)
            if not candidates:
                # Everything around the problem is hidden: widen to every relation with a
                # hidden figure.
                candidates = _shown_in(
                    [r for r in relations if any(state[k] != SHOWN for k, _c in r.terms)], state
                )
            if not candidates:
                break
            state[min(candidates, key=lambda k: (by_key[k].value, order[k]))] = WITHHELD
    except _OutOfBudget:
        pass
    for k in keys:  # fail closed
        if state[k] == SHOWN:
            state[k] = WITHHELD


def _shown_in(relations, state) -> set:
    return {k for r in relations for k, _c in r.terms if state[k] == SHOWN}


def reader_bounds(figure: Figure, state: str, cap: int, below: int) -> tuple[int, int]:
    """The values a reader knows a figure may take, from how it is shown."""
    if state == SHOWN:
        return figure.value, figure.value
    if state == PRIMARY:
        return figure.floor, below - 1
    if figure.sensitive:
        return max(figure.floor, below), cap
    return figure.floor, cap


def _problems(keys, relations, by_key, state, below, budget) -> list[list[Relation]]:
    """The first problem of a component, as the relations to withhold a cell from."""
    # The protection interval of every additive relation with a shown total.
    for relation in relations:
        if relation.total is None or state[relation.total] != SHOWN:
            continue
        hidden = [k for k, _c in relation.terms if k != relation.total and state[k] != SHOWN]
        if hidden and sum(by_key[k].value for k in hidden) < below:
            return [[relation]]
    # No hidden figure determined.
    index = {k: i for i, k in enumerate(keys)}
    cap = 2 * max([by_key[k].value for k in keys] + [below]) + 10
    lo, hi = [], []
    for k in keys:
        a, b = reader_bounds(by_key[k], state[k], cap, below)
        lo.append(a)
        hi.append(b)
    rows = [([(index[k], c) for k, c in r.terms], r.rhs, r.equal) for r in relations]
    _propagate(lo, hi, rows)  # what the reader knows at once: the searches start from it
    # The protection interval holds for a hidden total too: what the reader knows of it
    # from the other figures (persons served ≤ contacts) must not put its hidden parts
    # under `below`.
    for relation in relations:
        if relation.total is None or state[relation.total] == SHOWN:
            continue
        hidden = [k for k, _c in relation.terms if k != relation.total and state[k] != SHOWN]
        if hidden and hi[index[relation.total]] < below:
            return [[r for r in relations if any(k == relation.total for k, _c in r.terms)]]
    for k in keys:
        if state[k] == SHOWN:
            continue
        i, v = index[k], by_key[k].value
        below_ok = v > lo[i] and _feasible(lo, _with(hi, i, v - 1), rows, budget)
        above_ok = v < hi[i] and _feasible(_with(lo, i, v + 1), hi, rows, budget)
        if not (below_ok or above_ok):
            return [[r for r in relations if any(t == k for t, _c in r.terms)]]
    return []


def _with(values: list, i: int, value) -> list:
    if value is None:
        return values
    copy = list(values)
    copy[i] = value
    return copy


def _propagate(lo: list, hi: list, rows) -> bool:
    """Tighten the bounds with every relation until nothing changes; False if infeasible."""
    for _round in range(60):
        changed = False
        for terms, rhs, equal in rows:
            least = sum(c * (lo[i] if c > 0 else hi[i]) for i, c in terms)
            most = sum(c * (hi[i] if c > 0 else lo[i]) for i, c in terms)
            if least > rhs or (equal and most < rhs):
                return False
            for i, c in terms:
                own_least = c * (lo[i] if c > 0 else hi[i])
                own_most = c * (hi[i] if c > 0 else lo[i])
                upper = rhs - (least - own_least)  # c·x ≤ upper
                lower = rhs - (most - own_most) if equal else None  # c·x ≥ lower
                if c > 0:
                    new_hi = _floor_div(upper, c)
                    new_lo = _ceil_div(lower, c) if lower is not None else lo[i]
                else:  # dividing by a negative coefficient turns the inequality round
                    new_lo = _ceil_div(upper, c)
                    new_hi = _floor_div(lower, c) if lower is not None else hi[i]
                if new_lo > lo[i]:
                    lo[i] = new_lo
                    changed = True
                if new_hi < hi[i]:
                    hi[i] = new_hi
                    changed = True
                if lo[i] > hi[i]:
                    return False
        if not changed:
            return True
    return True


def _ceil_div(a: int, b: int) -> int:
    """The least integer ≥ a / b."""
    return -((-a) // b)


def _floor_div(a: int, b: int) -> int:
    return a // b


def _feasible(lo: list, hi: list, rows, budget: list) -> bool:
    """Whether integers within [lo, hi] satisfy every relation (exact); _OutOfBudget when
    the search has explored `budget[0]` branches."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _OutOfBudget
    lo, hi = list(lo), list(hi)
    if any(a > b for a, b in zip(lo, hi, strict=True)):
        return False
    if not _propagate(lo, hi, rows):
        return False
    free = [i for i in range(len(lo)) if lo[i] < hi[i]]
    if not free:
        return all(
            (sum(c * lo[i] for i, c in terms) == rhs)
            if equal
            else (sum(c * lo[i] for i, c in terms) <= rhs)
            for terms, rhs, equal in rows
        )
    i = min(free, key=lambda j: (hi[j] - lo[j], j))
    middle = (lo[i] + hi[i]) // 2
    return _feasible(lo, _with(hi, i, middle), rows, budget) or _feasible(
        _with(lo, i, middle + 1), hi, rows, budget
    )
