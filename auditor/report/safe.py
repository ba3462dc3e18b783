"""Estate text made safe for where it goes: one function per target, the only place where
report text is sanitised.

Names, ids, messages, tags and file paths come from the tenant (or from files a pipeline
hands in), so each renderer passes every such string through the function for its target
before it is written: :func:`terminal` for the console (written through a :func:`console`,
whose output :func:`ci_log` defuses), :func:`log` for lines on stderr, :func:`markdown`,
:func:`xml` (JUnit), :func:`html` and :func:`css_name` (the page and its SVG),
:func:`sarif_message`, :func:`csv` and, for any UTF-8 file or stream, :func:`utf8`.
The targets differ in what breaks them, so the character sets below are named pieces
combined per target rather than one blunt list.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

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
# CI workflow commands a runner reads from a job's log: Azure Pipelines takes ``##vso[``
# anywhere in a line, GitHub Actions its legacy ``##[`` anywhere and ``::name::`` at the
# start of a line after whitespace (.NET's TrimStart; JavaScript's also drops U+FEFF).
_HASH_COMMAND = re.compile(r"(?<=##)((?:vso)?)\[", re.IGNORECASE)
_COLON_COMMAND = re.compile(r"(?:^|(?<=[\n\r]))((?:[^\S\n\r]|\ufeff)*):(?=:)")
# the same characters in a format's own escapes, so the document parses to the same data
_COMMAND_ESCAPES = {
    "json": ("\\u005b", ":"),  # a JSON string cannot hold a line break: no line starts
    "sarif": ("\\u005b", ":"),
    "ndjson": ("\\u005b", ":"),  # nor can a line of one
    "junit": ("&#91;", "&#58;"),
    "html": ("&#91;", "&#58;"),
}
DEFUSE = "\u2060"  # WORD JOINER: invisible, not whitespace to any runner, breaks the match
# Markdown: whitespace is collapsed first, so every C0 character left is a control
_MARKDOWN_UNSAFE = re.compile(f"[{C0}{C1}{BIDI}{SURROGATES}{NONCHARACTERS}]")
# HTML/SVG: everything invisible or direction-changing, one line or keeping line feeds
_HTML_UNSAFE_LINE = re.compile(f"[{C0}{C1}{BIDI}{INVISIBLE}{SURROGATES}{NONCHARACTERS}]")
_HTML_UNSAFE_TEXT = re.compile(
    f"[\x00-\x09\x0b-\x1f{C1}{BIDI}{INVISIBLE}{SURROGATES}{NONCHARACTERS}]"
)
# XML 1.0: everything its Char production excludes (C0 but tab/LF/CR, surrogates, FFFE/F),
# named as a set: the complement of #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
# [#x10000-#x10FFFF] compiles ~10x slower (a bitmap over all of Unicode, on every start-up)
_XML_ILLEGAL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{SURROGATES}{NONCHARACTERS}]")
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


def terminal(value: object, multiline: bool = False) -> str:
    """Text for the terminal report, ``rules list``/``show`` and CI logs, for a Rich ``Text``
    (literal: no markup) on a :func:`console`. Lone surrogates become U+FFFD; every
    control (ESC, so no CSI/OSC sequence; CR; C1), bidi override and invisible character
    is shown as ``[U+XXXX]`` (:func:`visible`): a reader must see that a name holds one.
    ``multiline`` keeps line feeds (a rule file's Markdown)."""
    return visible(utf8(value if isinstance(value, str) else str(value)), multiline)


def ci_log(text: str) -> str:
    """Output bound for a console or CI log with every workflow command defused: a word
    joiner goes into ``##vso[`` and ``##[`` wherever they are and into a ``::`` that
    starts a line, so neither Azure Pipelines nor GitHub Actions runs one (set a variable,
    mask, stop commands, fake an error) from estate text. Applied to whole lines as
    written, so wrapping cannot carry a command to a line start unseen."""
    return _defuse(text, DEFUSE + "[", DEFUSE + ":")


def stdout(text: str, fmt: str) -> str:
    """A report printed on stdout — in CI, the job's log — with workflow commands defused
    (:func:`ci_log`). JSON, SARIF, JUnit and HTML use their own escapes for ``[`` and
    ``:`` instead (``\\u005b``, ``&#91;``, ``&#58;``), so what a pipe or ``>`` keeps parses
    to the same document as the ``--output`` file."""
    bracket, colon = _COMMAND_ESCAPES.get(fmt, (DEFUSE + "[", DEFUSE + ":"))
    shown = _STDOUT_ESCAPES.get(fmt, lambda c: f"[U+{ord(c):04X}]")
    text = _STDOUT_CONTROL.sub(lambda m: shown(m.group()), _defuse(utf8(text), bracket, colon))
    return text


# Controls and bidi marks a terminal or CI log would act on, in a report printed on stdout
# (a lone CR rewrites the line; CR LF ends a CSV row and stays): each format escapes them
# its own way, so the document still parses to the same data.
_STDOUT_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{C1}{BIDI}]|\r(?!\n)")
_STDOUT_ESCAPES: dict[str, Callable[[str], str]] = {
    "json": lambda c: f"\\u{ord(c):04x}",  # they only occur inside JSON strings
    "sarif": lambda c: f"\\u{ord(c):04x}",
    "ndjson": lambda c: f"\\u{ord(c):04x}",
    "junit": lambda c: f"&#x{ord(c):X};",
    "html": lambda c: f"&#x{ord(c):X};",
}


def _defuse(text: str, bracket: str, colon: str) -> str:
    text = _HASH_COMMAND.sub(lambda m: m.group(1) + bracket, text)
    return _COLON_COMMAND.sub(lambda m: m.group(1) + colon, text)


def log(text: object, multiline: bool = False) -> str:
    """A line for stderr (an error, a warning, a progress line, server error text):
    :func:`terminal`, then :func:`ci_log`. ``multiline`` is for a traceback."""
    return ci_log(terminal(text, multiline))


class _CiLog:
    """A console's stream with :func:`ci_log` applied to every write; everything else
    (``isatty``, ``encoding``, ``fileno``) is the stream's, so Rich still tells a terminal
    from a pipe. ``None`` is the current ``sys.stdout``/``sys.stderr``, as in Rich."""

    def __init__(self, stream: IO[str] | None, stderr: bool) -> None:
        self._stream, self._stderr = stream, stderr

    @property
    def stream(self) -> IO[str]:
        import sys

        return self._stream or (sys.stderr if self._stderr else sys.stdout)

    def write(self, text: str) -> int:
        return self.stream.write(ci_log(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def console(file: IO[str] | None = None, *, stderr: bool = False, **options: Any) -> Console:
    """The one kind of Rich console that prints estate text: it parses neither markup
    (``[bold]``) nor emoji codes (``:smile:``) in strings, and its output goes through
    :func:`ci_log`. ``options`` are Rich's (``width``, ``no_color``)."""
    from rich.console import Console  # rich only where a console is written

    return Console(file=_CiLog(file, stderr), markup=False, emoji=False, **options)  # type: ignore[arg-type]


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
