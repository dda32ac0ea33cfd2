"""Tenant-controlled text made safe to show: for a terminal (no control, escape or bidi
characters) and for markdown (no HTML, links, mentions or table breaks), cut to a length.

Resource names, alarm names, sink filters and error messages come from the audited tenant or
its API. In a terminal an ESC sequence can clear the screen, retitle the window or draw
"everything passes"; bidi overrides reorder what is read; in a pull-request comment a bare
URL becomes a link and ``@everyone`` pings people. The machine formats keep the data whole.
"""

from __future__ import annotations

import re
from html import escape

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/PM/APC/SOS strings (ended by BEL
# or ESC \), and two-byte escapes; also the 8-bit CSI/OSC introducers.
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
                      r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[ -/]*[0-~]?")
# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width and
# invisible formatting characters, line/paragraph separators, lone surrogates.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f"
                        "\ufeff\ufff9-\ufffb\ud800-\udfff]")
_BREAKS = re.compile("[\t\n\r\x0b\x0c\u2028\u2029]")
REPLACEMENT = "\ufffd"


def terminal_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without escape sequences; whitespace controls become spaces (or stay newlines
    with ``keep_newlines``); every other control, bidi or invisible character shows as �."""
    text = _ESCAPES.sub(REPLACEMENT, text)
    if keep_newlines:
        return "\n".join(terminal_text(line) for line in text.replace("\r\n", "\n").split("\n"))
    text = _BREAKS.sub(" ", text)
    return _INVISIBLE.sub(REPLACEMENT, text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters; a longer text ends with an ellipsis."""
    return text if len(text) <= limit else text[:max(0, limit - 1)].rstrip() + "…"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]~|#<>!"})
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,20}://|www\.)[^\s<>`|]*")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_EMAIL_OR_DOMAIN_DOT = re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])")


def markdown_text(text: str, limit: int | None = None) -> str:
    """Plain text for a markdown table cell or line: terminal-safe, cut to ``limit``, HTML
    escaped, markdown syntax escaped, URLs shown but not linked (``https[:]//host[.]tld``),
    ``@mentions`` (``@everyone``, ``@here``, ``@org/team``) neutralised with a zero-width
    space, no line or column breaks."""
    text = " ".join(terminal_text(text).split())
    if limit is not None:
        text = clip(text, limit)

    def defang(m: re.Match[str]) -> str:
        url = m.group()
        scheme, sep, rest = url.partition("://")
        shown = f"{scheme}[:]//{rest}" if sep else url
        return "\x00" + _EMAIL_OR_DOMAIN_DOT.sub("[.]", shown) + "\x01"

    text = _URL.sub(defang, text)
    out = []
    for chunk in re.split("(\x00[^\x01]*\x01)", text):
        if chunk.startswith("\x00"):
            # defanged brackets are ours: escape them so they stay literal
            out.append(escape(chunk[1:-1], quote=False).translate(_MD_SPECIAL))
        else:
            out.append(escape(chunk, quote=False).translate(_MD_SPECIAL))
    return _MENTION.sub("@\u200b", "".join(out))


def terminal_escape(text: str, limit: int = 1000) -> str:
    """Tenant data for rich markup: sanitised for the terminal, cut to ``limit`` (one long
    value must not push the other gaps off the screen), then markup-escaped."""
    from rich.markup import escape

    return escape(clip(terminal_text(text), limit))
