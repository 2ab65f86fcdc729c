"""Named extension points, called explicitly by services.

``members`` may not import ``campaigns`` or ``newsletters``; when a members service must let them act
(a commitment recorded may answer a campaign's ask; an applicant who wants updates starts a subscription),
it calls ``hooks.run(name, **kwargs)`` and those apps register their handlers in ``AppConfig.ready``.
Unlike signals, a hook is called by name from the one service that owns the change, inside its
transaction, so the handler's writes commit or roll back with it.

Known hooks:
- ``commitment_recorded(commitment, created: bool, by)`` — after a commitment is created or revised.
- ``commitment_deleted(commitment, by)`` — before a commitment is deleted.
- ``enquiry_submitted(enquiry)`` — after a new enquiry is saved (a repeat changes nothing and runs no hook).
- ``enquiry_approved(enquiry)`` — after an approval created or linked the member.
- ``organisations_merged(keep, gone)`` — before ``gone`` is deleted, to move rows that point at it.
- ``contacts_merged(keep_contact, gone_contact)`` — during an organisation merge, when a contact of the
  merged organisation is folded into the kept organisation's contact with the same email; called before
  ``gone_contact`` is deleted (which happens before ``organisations_merged``), to move rows that point at it.
- ``progress_items(start, end)`` — collectors returning lists of dicts for the progress update.
- ``organisation_profile(organisation, request)`` — collectors returning tabs for the organisation's
  profile page in the admin: dicts with ``slug``, ``title``, ``count``, ``html`` (rendered by the app that
  owns the data) and optionally ``tags`` (label, url) shown in the summary (campaigns targeting it).
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def register(name: str, handler: Callable[..., Any]) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def run(name: str, **kwargs: Any) -> None:
    for handler in list(_handlers[name]):
        handler(**kwargs)


def collect(name: str, **kwargs: Any) -> list[Any]:
    """Call every handler and concatenate what they return (lists)."""
    out: list[Any] = []
    for handler in list(_handlers[name]):
        out.extend(handler(**kwargs) or [])
    return out
