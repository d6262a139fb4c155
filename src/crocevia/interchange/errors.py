"""What goes wrong in an import: a whole file (FileError) or one cell of a row (RowError)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

# The database refused a write that passed the import's checks: a record the file refers
# to was removed or changed by someone else while the import ran (its transaction is
# rolled back whole). Said to the user, who can check the file again.
WRITE_REFUSED = gettext_lazy(
    "Another user changed or removed data this file refers to while it was being written: "
    "nothing was written. Check the file again."
)


class FileError(Exception):
    """The file as a whole cannot be read: not CSV/XLSX, bad encoding, bad header."""

    def __init__(self, message: str, *, code: str = "file"):
        super().__init__(message)
        self.message = message
        self.code = code


class CellError(Exception):
    """Raised by a cell parser; the caller adds line and column to make a RowError."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class RowError:
    """One bad cell: line number in the file, column code, the value as read, and why.

    `reason` is translated when the error is made (the command activates Italian);
    `code` is a stable machine name (bad_date, unknown_code, ...) for tests and tools.
    """

    line: int
    column: str
    value: str
    reason: str
    code: str

    def as_row(self) -> list[str]:
        return [str(self.line), self.column, self.value, self.reason]
