"""Admin registrations of the kernel: the outbox (``coalition.outbox.admin``)."""

from coalition.outbox import admin  # noqa: F401
