from collections import Counter

from django.utils.text import capfirst
from django.utils.translation import gettext as _


class InvalidTransition(Exception):
    """A state change that the current state does not allow. The API answers 409, the admin shows it."""


class BadToken(Exception):
    """A signed link token that is malformed, tampered with or expired."""


def protected_message(error) -> str:
    """What stops a deletion (Django's ``ProtectedError``), in words a person can act on: "This cannot be
    deleted while other records refer to it: 2 invoices, 1 organisation. Delete or move those first.\""""
    counts = Counter(type(record)._meta for record in error.protected_objects)
    named = ", ".join(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for meta, count in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
    )
    return capfirst(
        _("This cannot be deleted while other records refer to it: %(records)s. Delete or move those first.")
        % {"records": named}
    )
