"""Errors shared by every app's services."""

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The record changed since the operator read it: their write is refused, never merged.

    `current` is the record as it is now, so the view can show the other person's change
    beside what the operator typed.
    """

    def __init__(self, current, message: str):
        super().__init__(message)
        self.current = current


class FieldErrors:
    """Collects a service's messages per field, then raises them together."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


class RowsRefused(Exception):
    """A bulk service (`<things>_import_bulk`) refused some of its rows: nothing was written.

    `errors` is {position of the row in the rows given: {key: message}}, the keys those
    of the row's dict ("__all__" for the row as a whole). The caller names each bad row
    in its own terms (the interchange: line and column of the file).
    """

    def __init__(self, errors: dict[int, dict[str, str]]):
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


def messages_of(exc: ValidationError) -> dict[str, str]:
    """{key: its messages in one text} of a ValidationError ("__all__" without a dict)."""
    if hasattr(exc, "error_dict"):
        return {key: " ".join(messages) for key, messages in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}
