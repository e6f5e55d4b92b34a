"""HTML to plain text, and the cleaning every scraped string goes through.

Text extraction uses a tokenizing regex rather than a DOM: post bodies are short fragments,
and parsing thousands of them into trees costs more than the whole rest of a parse.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Callable

from liveblog_cli.untrusted import spaces_plain, stripped

_BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 blockquote figure figcaption section article header "
    "footer aside table pre hr dl main nav address details summary".split()
)
_LINE_TAGS = frozenset("br tr dt dd".split())
_DROP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|template|noscript|svg|math)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.S | re.I,
)
_DROP_HINT = re.compile(r"<(?:!--|script|style|template|noscript|svg|math)", re.I)
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>",
    re.S,
)


def _printable(value: str) -> bool:
    return (value.replace("\n", " ") if "\n" in value else value).isprintable()


def clean_text(value: str | None) -> str:
    """Control characters removed, runs of spaces folded, lines trimmed, paragraphs kept."""
    if not value:
        return ""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    # Cheap scans first: most text has no controls, odd spaces or space runs at all. Every
    # character spaces_plain changes is one str.isprintable() refuses (newlines aside), and
    # that test costs a tenth of the regex's.
    if not _printable(value):
        # Often no-break spaces alone (`<p>&nbsp;</p>`): made spaces in C. Where that leaves
        # the text printable, it is what spaces_plain gives, whose every change is to a
        # character str.isprintable() refuses (never a newline) and to U+00A0 a space.
        plain = value.replace("\xa0", " ")
        value = plain if plain != value and _printable(plain) else spaces_plain(value)
    while "  " in value:  # each pass halves every run of spaces: ` {2,}` -> " ", in C
        value = value.replace("  ", " ")
    value = value.strip()
    if "\n" in value:
        # ` ?\n ?` -> "\n" and `\n{3,}` -> "\n\n", in C: with no two spaces left in a row,
        # the spaces touching a newline are the ones before or after it.
        if " \n" in value:
            value = value.replace(" \n", "\n")
        if "\n " in value:
            value = value.replace("\n ", "\n")
        while "\n\n\n" in value:
            value = value.replace("\n\n\n", "\n\n")
    return value


def clean_line(value: str | None) -> str:
    """One line of text (titles, names): all whitespace folded to single spaces."""
    if not value:
        return ""
    return " ".join(stripped(value).split())


def _break_of(slash: str, name: str) -> str:
    """What a tag becomes in text: a paragraph break, a line break, a cell's space, a bullet
    for an opening list item, or nothing."""
    if name in _BLOCK_TAGS:
        return "\n\n• " if name == "li" and not slash else "\n\n"
    if name in _LINE_TAGS:
        return "\n"
    if name in ("td", "th"):
        return " "
    return ""


# (slash, name) as the tag scan gives them, looked up in one step: the special tags and the
# common inline ones, opening and closing, in lower case. Others take `_break_of`.
_COMMON_INLINE = "a strong em b i u s span sup sub small img abbr cite code mark time q".split()
_BREAKS: dict[tuple[str, str], str] = {
    (slash, name): _break_of(slash, name)
    for name in (*_BLOCK_TAGS, *_LINE_TAGS, "td", "th", *_COMMON_INLINE)
    for slash in ("", "/")
}


def _tags_to_breaks(markup: str) -> str:
    """`_TAG.sub(_tag, markup)`, from `_TAG.split`: the text between tags, and each tag's
    (slash, name) groups looked up in turn, without a match object and a call per tag."""
    parts = _TAG.split(markup)
    if len(parts) == 1:
        return markup
    out = [parts[0]]
    rest = iter(parts)
    next(rest)
    for slash, name, between in zip(rest, rest, rest, strict=True):
        found = _BREAKS.get((slash, name))
        out.append(found if found is not None else _break_of(slash or "", (name or "").lower()))
        out.append(between)
    return "".join(out)


def _tag(m: re.Match[str]) -> str:
    # A tag's (slash, name); the other branches' (None, None) finds nothing.
    found = _BREAKS.get(m.group(1, 2))  # type: ignore[arg-type]
    if found is not None:
        return found
    slash, name = m.group(1, 2)
    return _break_of(slash or "", (name or "").lower())


_LIST_ITEM = re.compile(r"<li\b", re.I)


def _with_bullets(markup: str) -> str:
    """Tags to breaks where list items hold paragraphs (`<li><p>text</p></li>`, as Guardian
    summaries are written): the breaks between a bullet and its first words are dropped, so
    each item is one "• text" line, never a bullet alone above its text."""
    out: list[str] = []
    bullet = False  # a bullet was written and no word has followed it yet
    end = 0
    for m in _TAG.finditer(markup):
        between = markup[end : m.start()]
        end = m.end()
        if bullet and between.strip():
            bullet = False
        out.append(between)
        name = (m.group(2) or "").lower()
        if name == "li" and not m.group(1):
            if not bullet:
                out.append("\n\n• ")
                bullet = True
        elif bullet and (name in _BLOCK_TAGS or name in _LINE_TAGS):
            out.append(" ")
        else:
            out.append(_tag(m))
    out.append(markup[end:])
    return "".join(out)


# What to drop and whether there are list items, found in one scan where the markup has
# neither (most of it): `_DROP_HINT`, then `_LIST_ITEM` on what is left.
_HINTS = re.compile(r"<(?:(!--|script|style|template|noscript|svg|math)|li\b)", re.I)


def _dropped(markup: str) -> tuple[str, bool]:
    """The markup without comments, scripts and the like, and whether it holds list items."""
    hint = _HINTS.search(markup)
    if hint is None:
        return markup, False
    if hint.group(1) is not None or _DROP_HINT.search(markup, hint.end()):
        markup = _DROP.sub(" ", markup)
        return markup, _LIST_ITEM.search(markup) is not None
    return markup, True


# The character references pages write most, each as `html.unescape` reads it when it is
# written in full ("&name;", "&#39;"): the whole of a reference that `html.unescape` matches
# there, since a name it reads stops at ";" (and at "&", so each "&" is read on its own).
_COMMON_REFS: dict[str, str] = {
    name: htmllib.unescape(f"&{name};")
    for name in (
        "quot amp lt gt apos nbsp hellip ndash mdash lsquo rsquo ldquo rdquo sbquo bdquo "
        "laquo raquo euro pound deg middot bull times copy reg trade shy "
        "agrave aacute acirc atilde auml aring egrave eacute ecirc euml igrave iacute icirc "
        "iuml ograve oacute ocirc otilde ouml ugrave uacute ucirc uuml ntilde ccedil szlig "
        "Agrave Aacute Auml Egrave Eacute Igrave Iacute Ograve Oacute Ouml Ugrave Uacute Uuml "
        "Ntilde Ccedil #39 #039 #34 #38 #60 #62 #160 #8211 #8212 #8216 #8217 #8220 #8221 "
        "#8230 #x27 #x22"
    ).split()
}


def unescape(text: str) -> str:
    """`html.unescape(text)`, reading the common references (`_COMMON_REFS`) without a
    Python call for each: the text is split at "&", and each piece opens with a whole
    reference or the text goes to `html.unescape` as it is."""
    if "&" not in text:
        return text
    pieces = text.split("&")
    out = [pieces[0]]
    for piece in pieces[1:]:
        end = piece.find(";")
        value = _COMMON_REFS.get(piece[:end]) if end > 0 else None
        if value is None:
            return htmllib.unescape(text)
        out.append(value)
        out.append(piece[end + 1 :])
    return "".join(out)


def html_to_text(markup: str | None) -> str:
    """Readable plain text of an HTML fragment: paragraphs separated by blank lines."""
    if not markup:
        return ""
    if "<" in markup:
        # In HTML, newlines in the source are spaces; only tags make lines.
        markup = markup.replace("\n", " ")
        markup, items = _dropped(markup)
        markup = _with_bullets(markup) if items else _tags_to_breaks(markup)
    if "&" in markup:
        markup = unescape(markup)
    return clean_text(markup)


def text_to_html(text: str) -> str:
    """Plain text back to minimal, escaped HTML paragraphs (for sources that lost their markup)."""
    paragraphs = [p for p in clean_text(text).split("\n\n") if p]
    return "".join(f"<p>{htmllib.escape(p, quote=False)}</p>" for p in paragraphs)


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def without_surrogates(value: object) -> object:
    """A decoded JSON value with lone UTF-16 surrogates (`"\\ud83d"` escapes of half an emoji)
    replaced by U+FFFD: such strings cannot be written as UTF-8, to a terminal or a database."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value


@functools.cache
def _fast_decode() -> Callable[[str | bytes], object] | None:
    """msgspec's JSON decoder, when installed (imported on first use, not at start-up).

    Measured against json.loads and orjson on the corpus: about twice as fast as json.loads
    on the JSON pages. orjson was not taken: it turns integers beyond 64 bits into floats
    where json.loads keeps them exact. msgspec, where it differs from json.loads at all
    (lone surrogates, NaN and Infinity, numbers beyond a double), refuses the input.
    """
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec.json.Decoder().decode


def load_json(text: str | Callable[[], str], raw: bytes | None = None) -> object:
    """json.loads, with lone surrogates made harmless (only searched for when escaped).

    The fast decoder reads what it can; anything it refuses, or any error at all, goes to
    json.loads, whose value (or error) is the answer. What the fast decoder accepts it
    decodes exactly as json.loads does, and it accepts no lone surrogate, so its values
    need no search for them. `raw`, the UTF-8 bytes `text` was decoded from, is read in
    its place when given (the fast decoder refuses bytes that are not strict UTF-8, and
    the leading whitespace `text` lost); `text` may then be how to decode it, called only
    when json.loads has to read it.
    """
    import json

    decode = _fast_decode()
    if decode is not None:
        try:
            return decode(raw if raw is not None else text if isinstance(text, str) else text())
        except Exception:  # any refusal: json.loads decides, and says why
            pass
    if not isinstance(text, str):
        text = text()
    value = json.loads(text)
    if "\\ud" in text or "\\uD" in text:
        value = without_surrogates(value)
    return value
