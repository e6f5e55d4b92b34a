"""The search syntax people type, read into operators and terms, and written as an SQLite
FTS5 query that cannot fail (postgres.py writes the same parts as a tsquery).

Words must all match; `"a phrase"`; `OR` between terms; `NOT word` or `-word` to exclude;
`prefix*`; a field: `title:word` or `text:"a phrase"`; parentheses group. Every word is
quoted before it reaches FTS5, so punctuation in a word is never FTS5 syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liveblog_cli.errors import SearchSyntaxError

FIELDS = ("title", "text")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<field>[A-Za-z_]+):(?=\S)"
    r'|(?P<minus>-)(?=\S)|"(?P<phrase>[^"]*)"(?P<pstar>\*)?|(?P<word>[^\s()"]+))'
)


@dataclass(frozen=True)
class Term:
    """A word or a phrase to find, in one field or both, its last word a prefix or not."""

    text: str
    field: str | None = None  # "title", "text", or None for both
    prefix: bool = False


# "(", ")", "AND", "OR", "NOT" (binary: what comes before, without what comes after), or a term.
Part = str | Term


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def checked(query: str) -> list[Part]:
    """`parts`, its errors saying which query they are about."""
    try:
        return parts(query)
    except SearchSyntaxError as exc:
        raise SearchSyntaxError(f"search {query!r}: {exc} (see `liveblog search --help`)") from None


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a query in liveblog's syntax (see the module doc)."""
    words = []
    for part in checked(query):
        if isinstance(part, str):
            words.append(part)
            continue
        term = _quoted(part.text) + ("*" if part.prefix else "")
        words.append(f"{part.field} : {term}" if part.field else term)
    return " ".join(words)


def parts(query: str) -> list[Part]:
    """The query as operators and terms, implicit ANDs made explicit; a SearchSyntaxError
    (with how to mend it) for what does not say what to find."""
    if not query.strip():
        raise SearchSyntaxError("empty query: give a word to look for")
    if query.count('"') % 2:
        raise SearchSyntaxError('a phrase is not closed: pair every " with another')
    out: list[Part] = []
    depth = 0
    expect_term = True  # after an operator, or at the start
    pending_field: str | None = None
    position = 0
    while position < len(query):
        m = _TOKEN.match(query, position)
        if not m or m.end() == position:
            if query[position:].strip():
                raise SearchSyntaxError(f"cannot read {query[position:]!r}")
            break
        position = m.end()
        if m["open"]:
            if not expect_term:
                out.append("AND")
            out.append("(")
            depth += 1
            expect_term = True
            continue
        if m["close"]:
            depth -= 1
            if depth < 0 or expect_term:
                raise SearchSyntaxError("a ) without its ( or with nothing inside")
            out.append(")")
            continue
        if m["field"] and m["field"].lower() in FIELDS:
            pending_field = m["field"].lower()
            continue
        if m["field"]:
            # Not a field (`https:`, `10:30` …): the word as typed.
            word_end = re.match(r"[^\s()]*", query[m.start("field") :])
            assert word_end is not None
            position = m.start("field") + word_end.end()
            term = Term(query[m.start("field") : position])
            if not expect_term:
                out.append("AND")
            out.append(term)
            expect_term = False
            continue
        if m["minus"]:
            if expect_term:
                raise SearchSyntaxError("NOT (or -word) needs a word before it to exclude from")
            out.append("NOT")
            expect_term = True
            continue
        if m["phrase"] is not None:
            if not m["phrase"].strip():
                raise SearchSyntaxError('an empty phrase ""')
            term = Term(m["phrase"], prefix=bool(m["pstar"]))
        else:
            word = m["word"]
            if word in ("OR", "AND", "NOT"):
                if expect_term:
                    raise SearchSyntaxError(f"{word} needs a word on each side")
                out.append(word)
                expect_term = True
                continue
            star = word.endswith("*")
            word = word.rstrip("*")
            if not word:
                raise SearchSyntaxError("a * must end a word (rwan*)")
            term = Term(word, prefix=star)
        if pending_field:
            term = Term(term.text, field=pending_field, prefix=term.prefix)
            pending_field = None
        if not expect_term:
            out.append("AND")
        out.append(term)
        expect_term = False
    if pending_field:
        raise SearchSyntaxError(f"{pending_field}: needs a word after it")
    if depth:
        raise SearchSyntaxError("a ( is not closed")
    if expect_term:
        raise SearchSyntaxError("the query ends with an operator")
    return out


__all__ = ["FIELDS", "Part", "Term", "checked", "fts_query", "parts"]
