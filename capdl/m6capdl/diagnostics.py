"""Compiler-style diagnostics: `file:line:col: error: ...`, the source line, a caret.

Spec problems are collected as Diagnostic values rather than raised one by one, so a
single run can report every error it finds. Problems that have no place in the spec
(a bad ELF, a missing file) are reported with just the file name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A run of characters on one source line (1-based line and column)."""

    line: int
    column: int
    length: int = 1
    file: str = ""  # an included file, as the user would name it; "" is the spec itself


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    span: Span | None = None
    hint: str | None = None


def line_of(span: Span, here: Span | None = None, main: str = "") -> str:
    """How a hint refers to `span`: "line N", naming the file when the diagnostic (at
    `here`) is in another one. `main` names the top-level spec, whose spans carry no file."""
    if here is not None and span.file == here.file or here is None and not span.file:
        return f"line {span.line}"
    return f"line {span.line} of {span.file or main or 'the spec'}"


def error(message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, message, span, hint)


def warning(message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, message, span, hint)


class SpecError(Exception):
    """Raised when a stage cannot continue; carries every diagnostic found so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class FileError(Exception):
    """A problem with an input file that has no position in the spec (ELF, I/O)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _caret_line(source_line: str, span: Span) -> str:
    # Copy tabs from the source so the caret lines up however the terminal expands them.
    prefix = "".join("\t" if ch == "\t" else " " for ch in source_line[: span.column - 1])
    width = max(1, min(span.length, max(1, len(source_line) - (span.column - 1))))
    return prefix + "^" + "~" * (width - 1)


class Source:
    """A source text with its lines split once: rendering a diagnostic then takes time
    independent of the size of the file and of the number of diagnostics (splitting the
    whole text for each one made 30,000 diagnostics take minutes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def line(self, number: int) -> str | None:
        """Line `number` (1-based), or None beyond the end."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1]
        return None


def render(diag: Diagnostic, path: str, source: str | Source,
           sources: dict[str, str | Source] | None = None) -> str:
    """Format one diagnostic; the result ends with a newline. `sources` holds the text of
    included files, by the name their spans carry. Pass Source objects (not plain text)
    when rendering many diagnostics of one file."""
    kind = diag.severity.value
    if diag.span is None:
        out = [f"{path}: {kind}: {diag.message}"]
    else:
        span = diag.span
        if span.file:
            path, source = span.file, (sources or {}).get(span.file, "")
        out = [f"{path}:{span.line}:{span.column}: {kind}: {diag.message}"]
        text = (source if isinstance(source, Source) else Source(source)).line(span.line)
        if text is not None:
            out.append(f"{span.line:>5} | {text}".rstrip())
            out.append(f"      | {_caret_line(text, span)}")
    if diag.hint:
        out.append(f"hint: {diag.hint}")
    return "\n".join(out) + "\n"


def sort_key(diag: Diagnostic) -> tuple[str, int, int, int]:
    if diag.span is None:
        return ("", 0, 0, 0)
    return (diag.span.file, diag.span.line, diag.span.column, 0 if diag.severity is Severity.ERROR else 1)
