"""Admin registrations of the kernel: the outbox (``coalition.outbox.admin``) and API tokens, whose admin
replaces DRF's (which lists every key in full)."""

from coalition import (
    system_admin,  # noqa: F401  users, groups and the beat schedule with unfold classes
    token_admin,  # noqa: F401
)
from coalition.outbox import admin  # noqa: F401
