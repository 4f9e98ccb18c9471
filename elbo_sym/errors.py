"""Exceptions shared by every layer; the CLI maps them to exit codes."""
from typing import Optional


class DomainError(ValueError):
    """An object that is not meaningful: a density with a variable on both sides of its bar,
    an expectation over something that is not a density, a KL between different spaces."""


class InputError(Exception):
    """Bad user input, located in a file: printed as ``FILE:LINE:COL: error: MESSAGE``."""

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None,
                 filename: Optional[str] = None, source_line: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.filename = filename
        self.source_line = source_line

    def located(self, filename: Optional[str]) -> "InputError":
        """The same error, naming ``filename`` unless it already names a file."""
        if self.filename:
            return self
        return InputError(self.message, self.line, self.column, filename, self.source_line)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.filename, self.line, self.column) if p is not None)
        text = f"{where}: error: {self.message}" if where else f"error: {self.message}"
        if self.source_line is not None and self.column is not None:
            caret = " " * (max(self.column, 1) - 1) + "^"
            text += f"\n    {self.source_line}\n    {caret}"
        return text
