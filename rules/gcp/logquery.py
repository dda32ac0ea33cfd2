"""The Cloud Logging query language: a parser, and a three-valued decision of whether a filter
selects every audit log entry of some kinds.

Grammar, from Google's reference ("Logging query language", cloud.google.com/logging/docs/
view/logging-query-language):

- ``NOT`` binds tightest, then ``OR``, then ``AND`` ("The NOT operator has the highest
  precedence, followed by OR and AND in that order": ``a OR NOT b AND NOT c OR d`` is
  ``(a OR (NOT b)) AND ((NOT c) OR d)``); ``AND`` may be left out (juxtaposition) and ``-``
  stands for ``NOT``; only upper-case ``AND``/``OR``/``NOT`` are operators (lower-case ones are
  search terms);
- a comparison is ``FIELD OP VALUE`` with ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``:``
  (has, substring), ``=~`` and ``!~`` (RE2 regular expressions); a parenthesised value
  applies the field and operator to each element (``logName:("a" OR "b")``); a lone value is
  a *global restriction* (some field has it); functions such as ``log_id("...")``;
- comments run from ``--`` to the end of the line; string comparisons ignore case.

The decision (``selects_all``) is over the audit log entries of one project: their ``logName``
is known exactly (``projects/P/logs/cloudaudit.googleapis.com%2F<type>``) and every other
field is unknown. Each comparison is then *true* for every such entry, *false* for every one,
or *unknown* (it depends on fields the audit cannot see); Kleene's three-valued logic combines
them. The answer is ``YES`` only when the filter is true for every entry of every kind asked
about; a condition on any other field (``severity``, ``resource.type``, a service name)
leaves it ``UNKNOWN`` and is named as the clause that narrows. Unknown is never a pass.

Pure: no I/O. Any text, however malformed, gives a decision (unparseable is ``UNKNOWN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

# The kinds of Cloud Audit Logs (log ids under cloudaudit.googleapis.com).
AUDIT_KINDS = ("activity", "data_access", "system_event", "policy")
AUDIT_PAYLOAD = "type.googleapis.com/google.cloud.audit.auditlog"
MAX_DEPTH = 64
MAX_LENGTH = 20_000          # Google's own limit on a filter's length


class Tri(Enum):
    """Kleene's three truth values."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    def __and__(self, other: Tri) -> Tri:
        if Tri.NO in (self, other):
            return Tri.NO
        return Tri.YES if self is other is Tri.YES else Tri.UNKNOWN

    def __or__(self, other: Tri) -> Tri:
        if Tri.YES in (self, other):
            return Tri.YES
        return Tri.NO if self is other is Tri.NO else Tri.UNKNOWN

    def __invert__(self) -> Tri:
        return {Tri.YES: Tri.NO, Tri.NO: Tri.YES, Tri.UNKNOWN: Tri.UNKNOWN}[self]


class ParseError(ValueError):
    """The text is not a query of the Logging query language (as far as this parser knows)."""


# ---------------------------------------------------------------- tokens
_OPS = ("=~", "!~", "!=", "<=", ">=", "=", "<", ">", ":")
_WORD = re.compile(r'[^\s()"=!<>:~,]+')


@dataclass(frozen=True)
class Tok:
    kind: str            # WORD STR OP LP RP COMMA AND OR NOT
    text: str
    pos: int
    end: int = -1        # where it ends in the source (strings: past the closing quote)


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise ParseError(f"unterminated string at {i}")
            out.append(Tok("STR", "".join(buf), i, j + 1))
            i = j + 1
        elif c in "()":
            out.append(Tok("LP" if c == "(" else "RP", c, i))
            i += 1
        elif c == ",":
            out.append(Tok("COMMA", c, i))
            i += 1
        elif c == "-" and not (i + 1 < n and text[i + 1].isdigit()):
            out.append(Tok("NOT", "-", i))
            i += 1
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is not None:
                out.append(Tok("OP", op, i))
                i += len(op)
                continue
            m = _WORD.match(text, i)
            if m is None:          # a lone "!" or "~"
                raise ParseError(f"unexpected {c!r} at {i}")
            word = m.group()
            kind = word if word in ("AND", "OR", "NOT") else "WORD"
            out.append(Tok(kind, word, i))
            i = m.end()
    return out


# ---------------------------------------------------------------- syntax tree
@dataclass(frozen=True)
class Node:
    text: str = field(compare=False)     # the clause as written, for messages


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Not(Node):
    item: Node | None = None


@dataclass(frozen=True)
class Cmp(Node):
    """``field op value``; ``field`` is lower-cased (the language ignores case outside maps)."""

    field: str = ""
    op: str = ""
    value: str = ""


@dataclass(frozen=True)
class Global(Node):
    value: str = ""


@dataclass(frozen=True)
class Func(Node):
    name: str = ""
    args: tuple[str, ...] = ()


class _Parser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, kind: str | None = None) -> Tok:
        t = self.peek()
        if t is None or (kind is not None and t.kind != kind):
            where = t.pos if t else len(self.src)
            raise ParseError(f"expected {kind or 'a term'} at {where}")
        self.i += 1
        return t

    def span(self, start: int) -> str:
        last = self.toks[self.i - 1]
        end = last.end if last.end >= 0 else last.pos + len(last.text)
        return " ".join(self.src[start:end].split())

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("nested too deeply")

    # grammar
    def query(self) -> Node:
        if not self.toks:
            return And("", ())
        node = self.conj(value_only=None)
        if (extra := self.peek()) is not None:
            raise ParseError(f"unexpected {extra.text!r} at {extra.pos}")
        return node

    def _pos(self) -> int:
        """Where the next token starts (0 at the end)."""
        t = self.peek()
        return t.pos if t else 0

    def _starts_term(self) -> bool:
        t = self.peek()
        return t is not None and t.kind in ("WORD", "STR", "LP", "NOT")

    def conj(self, value_only: tuple[str, str] | None) -> Node:
        start = self._pos()
        items = [self.disj(value_only)]
        while True:
            t = self.peek()
            if t is not None and t.kind == "AND":
                self.take()
                items.append(self.disj(value_only))
            elif self._starts_term():
                items.append(self.disj(value_only))     # AND by juxtaposition
            else:
                break
        return items[0] if len(items) == 1 else And(self.span(start), tuple(items))

    def disj(self, value_only: tuple[str, str] | None) -> Node:
        start = self._pos()
        items = [self.unary(value_only)]
        while (t := self.peek()) is not None and t.kind == "OR":
            self.take()
            items.append(self.unary(value_only))
        return items[0] if len(items) == 1 else Or(self.span(start), tuple(items))

    def unary(self, value_only: tuple[str, str] | None) -> Node:
        t = self.peek()
        if t is not None and t.kind == "NOT":
            self.take()
            self.enter()
            inner = self.unary(value_only)
            self.depth -= 1
            return Not(self.span(t.pos), inner)
        return self.primary(value_only)

    def primary(self, value_only: tuple[str, str] | None) -> Node:
        t = self.take()
        if t.kind == "LP":
            self.enter()
            inner = self.conj(value_only)
            self.take("RP")
            self.depth -= 1
            return inner
        if t.kind not in ("WORD", "STR"):
            raise ParseError(f"unexpected {t.text!r} at {t.pos}")
        if value_only is not None:              # inside FIELD OP ( ... )
            fld, op = value_only
            return Cmp(f'{fld}{op}"{t.text}"', fld, op, t.text)
        if self._call(t):
            fn = self.function(t)
            if (o := self.peek()) is not None and o.kind == "OP":   # cast(x, STRING) =~ "..."
                return self.rhs(t.pos, f"{fn.name}()", self.take().text)
            return fn
        path = self.path(t)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "OP":
            op = self.take().text
            return self.rhs(t.pos, path, op)
        return Global(self.span(t.pos), t.text if t.kind == "STR" else path)

    def _call(self, t: Tok) -> bool:
        """A function call: a word with ``(`` right after it (``log_id("...")``)."""
        n = self.peek()
        return t.kind == "WORD" and n is not None and n.kind == "LP" and \
            n.pos == t.pos + len(t.text)

    def path(self, first: Tok) -> str:
        """A field path: ``a.b."c/d".e`` (words already hold their dots)."""
        parts = [first.text]
        while (t := self.peek()) is not None and t.kind == "STR" and parts[-1].endswith("."):
            parts.append(self.take().text)
            nxt = self.peek()
            if nxt is not None and nxt.kind == "WORD" and nxt.text.startswith(".") \
                    and nxt.pos == t.end:
                parts.append(self.take().text)
        return "".join(parts).casefold()

    def rhs(self, start: int, fld: str, op: str) -> Node:
        t = self.peek()
        if t is not None and t.kind == "LP":
            self.take()
            self.enter()
            inner = self.conj((fld, op))
            self.take("RP")
            self.depth -= 1
            return _relabel(inner, self.span(start))
        if t is not None and t.kind == "NOT":        # a negative or dashed value: -1
            self.take()
            v = self.take()
            if v.kind not in ("WORD", "STR"):
                raise ParseError(f"expected a value at {v.pos}")
            return Cmp(self.span(start), fld, op, "-" + v.text)
        v = self.take()
        if v.kind not in ("WORD", "STR"):
            raise ParseError(f"expected a value at {v.pos}")
        if self._call(v):
            fn = self.function(v)
            return Cmp(self.span(start), fld, op, fn.text)
        return Cmp(self.span(start), fld, op, v.text)

    def function(self, name: Tok) -> Func:
        self.take("LP")
        self.enter()
        args: list[str] = []
        cur: list[str] = []
        level = 0
        while True:
            t = self.take()
            if t.kind == "LP":
                level += 1
            elif t.kind == "RP":
                if level == 0:
                    break
                level -= 1
            elif t.kind == "COMMA" and level == 0:
                args.append(" ".join(cur))
                cur = []
                continue
            cur.append(t.text)
        if cur or args:
            args.append(" ".join(cur))
        self.depth -= 1
        return Func(self.span(name.pos), name.text.casefold(), tuple(args))


def _relabel(node: Node, text: str) -> Node:
    """The whole ``field:(a OR b)`` as the clause text of a distributed comparison."""
    if isinstance(node, And):
        return And(text, node.items)
    if isinstance(node, Or):
        return Or(text, node.items)
    if isinstance(node, Not):
        return Not(text, node.item)
    return node


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The syntax tree of a filter; raises ``ParseError``. An empty filter is ``And(())``
    (true for every entry). Trees are immutable, so the same filter (one organisation sink
    judged for thousands of projects) is parsed once."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"longer than {MAX_LENGTH} characters")
    return _Parser(text).query()


# ---------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Entry:
    """What is known of an audit log entry: its project and log kind; nothing else."""

    project: str          # project id
    kind: str             # activity | data_access | system_event | policy

    @property
    def log_id(self) -> str:
        return f"cloudaudit.googleapis.com/{self.kind}"

    @property
    def log_name(self) -> str:
        # LogEntry.logName: "[LOG_ID] must be URL-encoded" (Google stores ``%2F``).
        return f"projects/{self.project}/logs/cloudaudit.googleapis.com%2F{self.kind}"


def _compare(actual: str, op: str, value: str) -> Tri:
    a, v = actual.casefold(), value.casefold()
    if op == ":":
        return _tri(v == "*" or v in a)
    if op in ("=~", "!~"):
        try:
            hit = re.search(value, actual) is not None    # RE2 is close to Python's re
        except re.error:
            return Tri.UNKNOWN
        return _tri(hit if op == "=~" else not hit)
    table = {"=": a == v, "!=": a != v, "<": a < v, "<=": a <= v, ">": a > v, ">=": a >= v}
    return _tri(table[op])


def _tri(b: bool) -> Tri:
    return Tri.YES if b else Tri.NO


def _unescaped_slash(value: str) -> bool:
    """A logName value that writes the log id's ``/`` unescaped: Google stores ``%2F``
    (LogEntry.logName: "[LOG_ID] must be URL-encoded"); whether a query normalises it is not
    documented, so such a comparison proves nothing."""
    v = value.casefold()
    return "googleapis.com/" in v


def evaluate(node: Node, entry: Entry) -> Tri:
    """The node's truth for every log entry like ``entry`` (UNKNOWN: it depends on fields
    the audit does not know)."""
    return _explain(node, entry)[0]


def _explain(node: Node, entry: Entry) -> tuple[Tri, Node | None]:
    """(truth, the clause that decided a NO or UNKNOWN)."""
    if isinstance(node, And):
        worst: tuple[Tri, Node | None] = (Tri.YES, None)
        for item in node.items:
            v, why = _explain(item, entry)
            if v is Tri.NO:
                return v, why
            if v is Tri.UNKNOWN and worst[0] is Tri.YES:
                worst = (v, why)
        return worst
    if isinstance(node, Or):
        unknown: tuple[Tri, Node | None] | None = None
        for item in node.items:
            v, why = _explain(item, entry)
            if v is Tri.YES:
                return v, None
            if v is Tri.UNKNOWN and unknown is None:
                unknown = (v, why)
        return unknown or (Tri.NO, node)
    if isinstance(node, Not):
        assert node.item is not None
        v, _ = _explain(node.item, entry)
        return ~v, (None if v is Tri.NO else node)
    v = _atom(node, entry)
    return v, (None if v is Tri.YES else node)


def _atom(node: Node, entry: Entry) -> Tri:
    if isinstance(node, Cmp):
        f = node.field
        if f == "logname":
            if node.value == "*" and node.op == ":":
                return Tri.YES
            if _unescaped_slash(node.value):
                return Tri.UNKNOWN
            return _compare(entry.log_name, node.op, node.value)
        if f == "protopayload.@type":
            # Every Cloud Audit Logs entry carries an AuditLog payload ("Understanding audit
            # logs": protoPayload holds an AuditLog object).
            return _compare(AUDIT_PAYLOAD, node.op, node.value)
        if node.op == ":" and node.value == "*" and f == "protopayload":
            return Tri.YES
        return Tri.UNKNOWN
    if isinstance(node, Global):
        # "some field has it": proven only when logName has it; any other field is unknown.
        v = node.value.casefold()
        if v and v in entry.log_name.casefold() and not _unescaped_slash(v):
            return Tri.YES
        return Tri.UNKNOWN
    if isinstance(node, Func):
        if node.name == "log_id" and len(node.args) == 1:
            arg = node.args[0].casefold().replace("%2f", "/")
            return _tri(arg == entry.log_id)
        if node.name == "source" and len(node.args) == 1:
            arg = node.args[0].casefold()
            if arg == f"projects/{entry.project}".casefold():
                return Tri.YES
            return Tri.NO if arg.startswith(("folders/", "organizations/",
                                             "billingaccounts/")) else Tri.UNKNOWN
        return Tri.UNKNOWN
    return Tri.UNKNOWN


# ---------------------------------------------------------------- the decision
@dataclass(frozen=True)
class Decision:
    """Whether a filter selects every audit log entry of the kinds asked about."""

    verdict: Tri
    clause: str = ""          # the clause that stops a YES ('' for YES)
    kinds: dict[str, str] = field(default_factory=dict)   # kind -> yes|no|unknown
    error: str = ""           # why the filter could not be parsed

    @property
    def proven(self) -> bool:
        return self.verdict is Tri.YES

    def explain(self) -> str:
        if self.error:
            return f"the filter could not be parsed ({self.error})"
        if self.verdict is Tri.YES:
            return "selects every audit log entry asked about"
        missing = sorted(k for k, v in self.kinds.items() if v != "yes")
        what = "drops" if self.verdict is Tri.NO else "cannot be proven to keep"
        return f"{what} {', '.join(missing)} audit logs: clause `{self.clause}`"


@lru_cache(maxsize=1 << 16)
def selects_all(text: str, project: str = "p", kinds: tuple[str, ...] = AUDIT_KINDS
                ) -> Decision:
    """Does the filter ``text`` select every audit log entry of ``kinds`` written in
    ``project``? An empty filter selects everything."""
    try:
        tree = parse(text)
    except (ParseError, RecursionError) as exc:
        return Decision(Tri.UNKNOWN, clause=text.strip()[:200], error=str(exc)[:200],
                        kinds={k: "unknown" for k in kinds})
    verdicts: dict[str, str] = {}
    overall, clause = Tri.YES, ""
    for kind in kinds:
        v, why = _explain(tree, Entry(project, kind))
        verdicts[kind] = v.value
        if v is Tri.YES:
            continue
        if overall is Tri.YES or (v is Tri.NO and overall is Tri.UNKNOWN):
            overall, clause = v, (why.text if why is not None and why.text else text.strip())
    return Decision(overall, clause=clause, kinds=verdicts)


def selects_any(text: str, project: str = "p", kinds: tuple[str, ...] = AUDIT_KINDS
                ) -> Tri:
    """Whether the filter (of an exclusion, say) matches at least some entries of ``kinds``:
    NO only when it provably matches none of them."""
    try:
        tree = parse(text)
    except (ParseError, RecursionError):
        return Tri.UNKNOWN
    values = {evaluate(tree, Entry(project, k)) for k in kinds}
    if values == {Tri.NO}:
        return Tri.NO
    return Tri.YES if Tri.YES in values else Tri.UNKNOWN
