class InvalidTransition(Exception):
    """A state change that the current state does not allow. The API answers 409, the admin shows it."""


class BadToken(Exception):
    """A signed link token that is malformed, tampered with or expired."""
