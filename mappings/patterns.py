"""Regular expressions a plan supplies: checked when the plan loads, run by RE2.

Skip rules (the mapping's ``matches``), contract columns' ``pattern`` and the
``regex``/``regex_list`` of expectations are regular expressions written by
people. Python's ``re`` backtracks: one pattern like ``(a+)+$`` against one long
cell would hang a run. Every one is compiled and run by RE2 (linear time),
and one RE2 cannot run, or one with nested unbounded repetition (which
backtracks catastrophically in the engines the same pattern travels to), is
refused at load (:func:`check_pattern`). See docs/plan.md, *Regular expressions*.
"""

from __future__ import annotations

__all__ = ["check_pattern", "compile_pattern", "pattern_test", "regex_arguments"]

import re
from collections.abc import Callable
from typing import Any

import re2

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern that does not compile is reported, not printed


def compile_pattern(pattern: str) -> re2._Regexp:
    """``pattern`` compiled by RE2, which runs in time linear in the text.

    Skip rules and contract patterns are run through this: Python's ``re``
    backtracks, and one pattern like ``(a+)+$`` against one long cell would
    hang the run. Raises ``re2.error`` if RE2 cannot compile it; plans
    are checked with :func:`check_pattern` when they are loaded, so a loaded
    plan's patterns always compile.
    """
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_test(pattern: str, *, whole: bool) -> Callable[[str], bool]:
    """Whether a text holds a match of ``pattern`` (``whole``: is one), by RE2.

    The text goes to RE2 as UTF-8 bytes, which is what RE2 matches anyway:
    the answer is the same as for the ``str``, and the wrapper need not map
    match positions back to characters (three times faster per value).
    """
    regex = compile_pattern(pattern)
    find = regex.fullmatch if whole else regex.search

    def test(text: str) -> bool:
        return find(text.encode("utf-8", "surrogatepass")) is not None

    return test


_QUANTIFIER = re.compile(r"[*+?]|\{[0-9]+(,[0-9]*)?\}")


def _escape_end(pattern: str, at: int) -> int:
    """Where the escape sequence starting with the backslash at ``at`` ends."""
    letter = pattern[at + 1 : at + 2]
    if letter == "Q":  # \Q…\E: literal text
        end = pattern.find("\\E", at + 2)
        return len(pattern) if end < 0 else end + 2
    if letter in ("p", "P", "x") and pattern[at + 2 : at + 3] == "{":  # \p{Han}, \x{3042}
        end = pattern.find("}", at + 3)
        return len(pattern) if end < 0 else end + 1
    if letter in ("p", "P"):  # \pN
        return at + 3
    if letter == "x":  # \x41
        return at + 4
    return at + 2


def _class_end(pattern: str, at: int) -> int:
    """Where the character class opened by the ``[`` at ``at`` ends.

    A ``]`` right after ``[`` or ``[^`` is a literal, and so is a ``(``
    anywhere in a class (``[(]``); ``[:alpha:]`` inside a class is a unit.
    """
    at += 1
    if pattern[at : at + 1] == "^":
        at += 1
    if pattern[at : at + 1] == "]":
        at += 1
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at = _escape_end(pattern, at)
        elif pattern.startswith("[:", at) and (close := pattern.find(":]", at + 2)) >= 0:
            at = close + 2
        elif char == "]":
            return at + 1
        else:
            at += 1
    return at


def _nested_repetition(pattern: str) -> str | None:
    """The first group, with its quantifier, that holds an unbounded repetition
    (``+``, ``*``, ``{n,}``) and is itself repeated without bound, as written
    in ``pattern`` (``(a+)+`` in ``(a+)+$``); None if there is none.

    One pass over the text, so the check itself is linear. It is meant for a
    pattern RE2 has compiled, whose syntax is therefore well-formed.
    """
    open_groups: list[tuple[int, bool]] = []  # (where it starts, enclosing level's flag)
    holds = False  # the current level holds an unbounded repetition so far
    atom: tuple[int, bool] | None = None  # the last atom: where it starts, holds one
    at = 0
    while at < len(pattern):
        char = pattern[at]
        quantifier = _QUANTIFIER.match(pattern, at)
        if quantifier is not None and atom is not None:
            unbounded = quantifier[0] in ("*", "+") or quantifier[0].endswith(",}")
            at = quantifier.end()
            if pattern[at : at + 1] == "?":  # lazy: the same repetition
                at += 1
            if unbounded and atom[1]:
                return pattern[atom[0] : at]
            holds = holds or unbounded
            atom = (atom[0], atom[1] or unbounded)
        elif char == "\\":
            atom, at = (at, False), _escape_end(pattern, at)
        elif char == "[":
            atom, at = (at, False), _class_end(pattern, at)
        elif char == "(":
            start, at = at, at + 1
            if pattern.startswith("?P<", at) or pattern.startswith("?<", at):
                at = pattern.find(">", at) + 1 or len(pattern)
            elif pattern.startswith("?", at):  # (?i:…) or the flags-only (?i)
                while at < len(pattern) and pattern[at] not in ":)":
                    at += 1
                if pattern[at : at + 1] == ")":
                    atom, at = None, at + 1
                    continue
                at += 1
            open_groups.append((start, holds))
            holds, atom = False, None
        elif char == ")" and open_groups:
            start, outer = open_groups.pop()
            atom, holds, at = (start, holds), outer or holds, at + 1
        elif char == "|":
            atom, at = None, at + 1
        else:
            atom, at = (at, False), at + 1
    return None


def _unsupported(pattern: str, detail: str) -> str:
    """What to do about a pattern RE2 refuses, from RE2's own reason."""
    if re.fullmatch(r"invalid escape sequence: \\[1-9]", detail) or "(?P=" in pattern:
        return (
            "; RE2, which ikou runs every pattern with, has no backreferences "
            "(\\1, (?P=name)): write the repeated part out"
        )
    if re.search(r"\(\?<?[=!]", detail):
        return (
            "; RE2, which ikou runs every pattern with, has no lookahead or lookbehind: "
            "match the text itself"
        )
    if detail.endswith("\\Z"):
        return "; RE2 writes the end of the text as \\z or $"
    return "; ikou uses RE2 syntax (see docs/plan.md)"


def check_pattern(pattern: str, what: str) -> str:
    """``pattern`` if ikou may run it; a ValueError that says why not otherwise.

    Refused: a pattern RE2 cannot compile (backreferences, lookaround), and a
    pattern with nested unbounded repetition such as ``(a+)+$``. ikou runs the
    latter in linear time with RE2, but patterns travel on — a contract's to a
    database CHECK constraint or the vendor's system, any of them to the next
    script that copies it — and in a backtracking engine it can hang on one
    long value.
    """
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise ValueError(
            f"{what} is not a valid regular expression ({detail})" + _unsupported(pattern, detail)
        ) from None
    nested = _nested_repetition(pattern)
    if nested is not None:
        raise ValueError(
            f"{what} repeats without bound a group that repeats inside ({nested}); such a "
            "pattern backtracks catastrophically in the engines it may travel to (Python and "
            "pandas, a database CHECK constraint, the vendor's system), so write a single "
            "repetition (a+$, not (a+)+$) or bound the inner one ([0-9]{1,9}, not [0-9]+)"
        )
    return pattern


def regex_arguments(args: dict[Any, Any]) -> list[tuple[str, str]]:
    """The regular expressions among an expectation's arguments (``regex``,
    ``regex_list``): held to the same rules as every other plan pattern."""
    found: list[tuple[str, str]] = []
    if isinstance(args.get("regex"), str):
        found.append(("regex", args["regex"]))
    if isinstance(args.get("regex_list"), list | tuple):
        found += [
            (f"regex_list[{i}]", item)
            for i, item in enumerate(args["regex_list"])
            if isinstance(item, str)
        ]
    return found
