"""Errors shared by every app's services."""


class ConflictError(Exception):
    """The record changed since the operator read it: their write is refused, never merged.

    `current` is the record as it is now, so the view can show the other person's change
    beside what the operator typed.
    """

    def __init__(self, current, message: str):
        super().__init__(message)
        self.current = current
