"""A block's revisions as readable text, and the diffs between consecutive ones."""

from __future__ import annotations

import difflib
from typing import Any

from liveblog_cli.model import FLAG_FIELDS


def revision_text(data: dict[str, Any]) -> list[str]:
    """The parts of a block a reader cares about, one line each, for diffing."""
    flags = [name for name in FLAG_FIELDS if data.get(name)]
    lines = [
        f"title: {data.get('title') or ''}",
        f"flags: {', '.join(flags) or '-'}",
        f"authors: {', '.join(data.get('authors') or []) or '-'}",
        f"published: {data.get('published_at') or '-'}",
        f"updated: {data.get('updated_at') or '-'}",
        "",
    ]
    lines += (data.get("text") or "").split("\n")
    for element in data.get("elements") or []:
        if element.get("kind") != "text" and element.get("url"):
            lines.append(f"[{element['kind']}] {element['url']}")
    return lines


def with_diffs(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each revision with a unified diff against the one before it (None for the first)."""
    out = []
    previous: list[str] | None = None
    for rev in revisions:
        current = revision_text(rev["data"])
        diff = None
        if previous is not None:
            diff = "\n".join(
                difflib.unified_diff(
                    previous,
                    current,
                    f"revision {rev['revision'] - 1}",
                    f"revision {rev['revision']}",
                    lineterm="",
                    n=2,
                )
            )
        out.append(
            {
                "revision": rev["revision"],
                "seen_at": rev["seen_at"],
                # Why the revision exists: first, edit (by the publisher), source (read from
                # another kind of source), reparse, import. Only `edit` is an edit.
                "cause": rev.get("cause"),
                "source_format": rev.get("source_format"),
                "parser_version": rev.get("parser_version"),
                "content_hash": rev["content_hash"],
                "diff": diff,
                "block": rev["data"],
            }
        )
        previous = current
    return out


def word_diff(before: list[str], after: list[str]) -> list[list[tuple[str, str]]]:
    """What changed between two revisions' lines, word by word, as git --word-diff shows it:
    each changed line as pieces tagged "=" (kept), "-" (removed) or "+" (added). Lines that
    did not change are left out; a two-word edit in a long paragraph is two words."""
    out: list[list[tuple[str, str]]] = []
    lines = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a0, a1, b0, b1 in lines.get_opcodes():
        if tag == "equal":
            continue
        old, new = "\n".join(before[a0:a1]), "\n".join(after[b0:b1])
        if tag == "delete":
            out.append([("-", old)])
            continue
        if tag == "insert":
            out.append([("+", new)])
            continue
        old_words, new_words = old.split(" "), new.split(" ")
        pieces: list[tuple[str, str]] = []
        words = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
        for wtag, w0, w1, v0, v1 in words.get_opcodes():
            if wtag == "equal":
                pieces.append(("=", " ".join(old_words[w0:w1])))
                continue
            if w1 > w0:
                pieces.append(("-", " ".join(old_words[w0:w1])))
            if v1 > v0:
                pieces.append(("+", " ".join(new_words[v0:v1])))
        out.append(pieces)
    return out
