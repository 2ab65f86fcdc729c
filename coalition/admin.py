"""Admin registrations of the kernel: the outbox (``coalition.outbox.admin``) and API tokens, whose admin
replaces DRF's (which lists every key in full)."""

from coalition import token_admin  # noqa: F401
from coalition.outbox import admin  # noqa: F401
