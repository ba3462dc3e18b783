"""Estate text made safe for where it goes: one function per target, the only place where
report text is sanitised.

Names, ids, messages, tags and file paths come from the tenant (or from files a pipeline
hands in), so each renderer passes every such string through the function for its target
before it is written: :func:`terminal` and :func:`rich_markup` for the console and CI logs,
:func:`markdown`, :func:`xml` (JUnit), :func:`html` and :func:`css_name` (the page and its
SVG), :func:`sarif_message`, :func:`csv` and, for any UTF-8 file or stream, :func:`utf8`.
The targets differ in what breaks them, so the character sets below are named pieces
combined per target rather than one blunt list.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

# -- the pieces the targets are made of -----------------------------------------------------
SURROGATES = "\ud800-\udfff"  # lone surrogates: JSON input can carry them, UTF-8 cannot
NONCHARACTERS = "\ufffe\uffff"
C0 = "\x00-\x1f"
C1 = "\x7f-\x9f"  # DEL and the C1 controls
# marks, embeddings, overrides and isolates: they reorder what a reader sees
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# zero-width and invisible format characters, line/paragraph separators, the BOM
INVISIBLE = "\u180e\u200b-\u200d\u2028\u2029\u2060-\u2065\ufeff"

_LONE_SURROGATE = re.compile(f"[{SURROGATES}]")
# Markdown: whitespace is collapsed first, so every C0 character left is a control
_MARKDOWN_UNSAFE = re.compile(f"[{C0}{C1}{BIDI}{SURROGATES}{NONCHARACTERS}]")
# HTML/SVG: everything invisible or direction-changing, one line or keeping line feeds
_HTML_UNSAFE_LINE = re.compile(f"[{C0}{C1}{BIDI}{INVISIBLE}{SURROGATES}{NONCHARACTERS}]")
_HTML_UNSAFE_TEXT = re.compile(
    f"[\x00-\x09\x0b-\x1f{C1}{BIDI}{INVISIBLE}{SURROGATES}{NONCHARACTERS}]"
)
# XML 1.0: everything its Char production excludes (C0 but tab/LF/CR, surrogates, FFFE/F)
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# CSV: C0 controls but tab, LF, CR (a quoted cell holds those), and lone surrogates
_CSV_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{SURROGATES}]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_CSS_NAME = re.compile(r"[^a-z0-9-]")

# Markdown punctuation that could start a link, emphasis, code, strike-through or escape;
# CommonMark lets a backslash make any of them literal (and GFM tables need ``\|``).
_MARKDOWN_PUNCTUATION = {c: "\\" + c for c in "\\`*_[]~|!#"}
_MARKDOWN_PLAIN = str.maketrans(
    {**_MARKDOWN_PUNCTUATION, "&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "@\u2060"}
)  # "@" + word joiner: no @mentions
_TICKS = re.compile("`+")
_WWW = re.compile(r"(?i)\b(www)\.")


def utf8(text: str) -> str:
    """Text any UTF-8 file or stream can take: lone surrogates (JSON input may carry them)
    become U+FFFD, since one odd resource name must not cost the whole report."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def terminal(value: object) -> str:
    """Text for the terminal report and CI logs, as a literal (a Rich ``Text``, which does
    not parse markup). The one door for estate text to a console: control sequences, bidi
    overrides and workflow commands (``##vso[``, ``::``) are to be defused here. Today it
    only makes the text encodable, so a lone surrogate cannot stop a console write."""
    return utf8(value if isinstance(value, str) else str(value))


def rich_markup(value: object) -> str:
    """:func:`terminal` text for a Rich API that parses markup (``console.print`` of a
    string, a table cell given as a string): ``[`` is escaped, so a name like ``[bold]``
    stays text."""
    from rich.markup import escape  # rich only where a console is written

    return escape(terminal(value))


def markdown(
    value: Any, *, code: bool = False, limit: int | None = None, in_table: bool = True
) -> str:
    """Untrusted text as one line of inert Markdown, safe inside a GFM table cell.

    Line breaks and runs of whitespace collapse to one space, controls and bidi overrides
    become U+FFFD, and ``limit`` cuts the text (before escaping, so no escape is split).
    Plain text gets every Markdown-significant character backslash-escaped and ``& < >``
    as entities, so a name like ``<img src=x onerror=...>`` or ``[x](http://...)`` stays
    text. ``code=True`` makes a code span (its content is literal; the fence is longer
    than any backtick run inside); in a table its pipes are ``\\|``, which GFM removes
    again before the span is read. Text that already holds ``\\|`` falls back to plain,
    the one spelling that reads the same in GitHub's and Azure DevOps' table parsers.
    """
    s = " ".join(str("" if value is None else value).split())
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + "…"
    s = _MARKDOWN_UNSAFE.sub("\ufffd", s)
    if not s:
        return ""
    if code and not (in_table and "\\|" in s):
        if in_table:
            s = s.replace("|", "\\|")
        fence = "`" * (max((len(m) for m in _TICKS.findall(s)), default=0) + 1)
        pad = " " if s.startswith("`") or s.endswith("`") else ""
        return f"{fence}{pad}{s}{pad}{fence}"
    s = s.translate(_MARKDOWN_PLAIN)
    # GFM links bare www. names and scheme:// text on its own; an escape stops that
    return _WWW.sub(r"\1\\.", s).replace("://", "\\://")


def xml(value: object) -> str:
    """Text XML 1.0 can hold (JUnit): illegal characters become U+FFFD, because
    ElementTree writes them as they are and the file would not parse."""
    return _XML_ILLEGAL.sub("\ufffd", str(value))


def _shown(m: re.Match[str]) -> str:
    return f"[U+{ord(m.group(0)):04X}]"


def visible(value: object, multiline: bool = False) -> str:
    """The text with every invisible or direction-changing character shown as [U+XXXX]:
    a person reading the page must see that a name holds one (``kv\\u202egnp.exe``)."""
    text = value if isinstance(value, str) else str(value)
    if multiline:
        text = text.replace("\r\n", "\n")
    return (_HTML_UNSAFE_TEXT if multiline else _HTML_UNSAFE_LINE).sub(_shown, text)


def html(value: object, multiline: bool = False) -> str:
    """Untrusted text as HTML/SVG text or attribute value: :func:`visible`, then escaped
    (``&<>"'``). Every estate string of the HTML report goes through it."""
    return _html.escape(visible(value, multiline), quote=True)


def css_name(value: str) -> str:
    """A class or id token for the HTML report, from a severity or category: both come from
    fixed vocabularies, and this keeps a surprise from breaking out of the attribute."""
    return _NOT_CSS_NAME.sub("-", value.lower())


def sarif_message(text: str) -> str:
    """Plain-text SARIF message: ``[`` ``]`` start embedded links (``[text](1)``) in GitHub
    and other viewers, so literal ones are escaped with a backslash, as is the backslash."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def csv(value: object) -> str:
    """A spreadsheet cell: unprintable characters become U+FFFD, and a cell a spreadsheet
    would take for a formula (``= + - @``, tab, CR first) gets a leading apostrophe, as
    OWASP's CSV-injection guidance says."""
    s = _CSV_UNSAFE.sub("\ufffd", "" if value is None else str(value))
    return "'" + s if s.startswith(_FORMULA_START) else s
