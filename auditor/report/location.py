"""Where a finding sits in source code (Terraform input): its file and line as the
reports show them.

A finding of source-code input carries ``location`` = ``{"file", "line"}``, the file as
the reader named it (the directory given on the command line joined with the file's path
in it). Reports name it relative to the repository root — the nearest directory above the
working directory that holds ``.git``, else the working directory — because that is what
GitHub matches a SARIF location against to annotate a pull-request line, and what a reader
finds in the checkout. A file outside that root keeps its absolute path. Pure text: each
renderer escapes it as it escapes resource names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote


def repository_root(start: Path | None = None) -> Path:
    """The nearest directory from ``start`` (the working directory) up that holds ``.git``
    (a directory, or a worktree's file); else ``start`` itself."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return here


@dataclass(frozen=True)
class SourcePath:
    """A source file as the reports name it: ``path`` relative to the repository root
    (forward slashes) when ``inside`` it, else absolute."""

    path: str
    inside: bool


def source_path(file: str, root: Path) -> SourcePath:
    """``file`` (as the reader named it: relative to the working directory, or absolute)
    against the repository ``root``; lexical, no file is touched."""
    absolute = os.path.normpath(os.path.join(os.getcwd(), file))
    base = os.path.normpath(os.path.abspath(root))
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:  # another drive (Windows)
        rel = os.pardir
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return SourcePath(PurePath(absolute).as_posix(), False)
    return SourcePath(PurePath(rel).as_posix(), True)


def of(location: dict[str, Any] | None) -> tuple[str, int | None] | None:
    """(file, line) of a finding's ``location``; None without a usable file. A line that
    is not a positive integer is None (the block's file is still known)."""
    if not isinstance(location, dict):
        return None
    file, line = location.get("file"), location.get("line")
    if not isinstance(file, str) or not file.strip():
        return None
    if isinstance(line, bool) or not isinstance(line, int) or line < 1:
        line = None
    return file, line


def where(location: dict[str, Any] | None, root: Path) -> str | None:
    """``infra/modules/net/main.tf:12`` (no ``:line`` when the line is not known), or None
    for a finding without a source location."""
    got = of(location)
    if got is None:
        return None
    file, line = got
    path = source_path(file, root).path
    return f"{path}:{line}" if line is not None else path


def uri(path: SourcePath) -> str:
    """A SARIF ``artifactLocation.uri`` for a file inside the repository: a relative
    reference, each segment percent-encoded (a ``:`` in the first segment would read as a
    scheme, ``javascript:`` included), so what viewers decode is the file's own name."""
    return "/".join(quote(s, safe="", errors="replace") for s in path.path.split("/"))
