"""Errors services raise; views and commands turn them into messages for people."""


class ServiceError(Exception):
    """Base class: an operation was refused; the message says why, in words for the user."""


class NotIssuableError(ServiceError):
    """Raise when an achievement cannot be awarded now (status, dates, duplicate award)."""


class InvalidSpecError(ServiceError):
    """Raise when a definition file or form is invalid; ``problems`` lists each field's problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ImageRejectedError(ServiceError):
    """Raise when an uploaded image is broken, too large, or not PNG/SVG."""
