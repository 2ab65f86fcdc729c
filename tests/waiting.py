"""Waiting for what another process (a Celery worker) does, instead of sleeping a fixed time.

A worker hands a message to the SMTP server *before* it records the email as sent, so a test that
has seen the message arrive must still wait for the database to catch up.
"""

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 30.0, every: float = 0.1, tick=None
) -> bool:
    """Call ``predicate`` until it is true or ``timeout`` seconds have passed; return its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if tick:
            tick()
        time.sleep(every)
    return predicate()
