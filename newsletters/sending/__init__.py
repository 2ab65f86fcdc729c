"""Sending newsletters.

How a newsletter is sent (the guarantee: every confirmed recipient once; a crash re-sends at most the
messages that were in flight)
-----------------------------------------------------------------------------------------------------
1. ``newsletter_send`` runs ONE transaction: it locks the newsletter, moves it from draft/scheduled to
   ``sending`` (a second "send" finds it sending and is refused), renders the content once, and
   materialises the audience with ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into ``Delivery`` —
   one row per (newsletter, subscriber), unique. That freezes the list: later sign-ups are not added,
   and the unique pair means no path can ever create a second delivery for the same person. It also
   cuts the delivery ids into ``SendBatch`` ranges of ``NEWSLETTER_BATCH_SIZE`` (SQL only: memory
   stays flat whatever the audience size).
2. After commit, up to ``NEWSLETTER_PARALLEL_BATCHES`` batches are dispatched as Celery tasks; each batch
   that finishes dispatches the next (``newsletter_advance``).
3. A batch task (``send_batch_run``) keeps ``NEWSLETTER_SMTP_CONNECTIONS`` SMTP connections open (one
   thread each) and loops: claim up to ``NEWSLETTER_CLAIM_SIZE`` queued rows of its range (``SELECT …
   FOR UPDATE SKIP LOCKED`` then ``UPDATE … SET status='sending', claim=<uuid>``), and for each row:
   build the message from the newsletter's skeleton (``rendering.message_skeleton``: built once per
   version, filled in per recipient), wait for the global rate limit, hand it to a connection; the
   verdicts are read back in order in the batch's thread, which alone writes to the database, marking
   rows ``sent`` with one UPDATE per group. Sent-but-unmarked plus in-flight messages never exceed
   ``NEWSLETTER_MARK_EVERY``. Every
   ``TICK_SECONDS`` it re-reads what may have changed: pause or cancel, subscribers who left after the
   list was frozen (they get nothing), whether the claim is still its own; and it touches the claim so
   the sweep knows it is alive. Two workers running the same batch (a redelivered task, "send" pressed
   twice) claim disjoint rows, so nobody gets two copies.
4. A worker killed mid-send leaves its claimed rows in ``sending``. The sweep (every minute) puts rows
   claimed more than ``NEWSLETTER_STALE_SECONDS`` ago back to ``queued`` and re-dispatches batches
   without a heartbeat for as long; a new worker sends them. Only messages the SMTP server accepted but
   whose ``sent`` mark had not committed at the kill (or that were in flight) go out twice: at most
   ``NEWSLETTER_MARK_EVERY`` per
   killed worker process, never more than its claim. They carry the same Message-ID both times.
5. SMTP failures are read by ``coalition.smtp.smtp_classify``, per recipient. Transient ones (4xx,
   whether or not smtplib reports them as ``SMTPRecipientsRefused``) put the row back to ``queued``
   with a backoff (``next_attempt_at``); permanent ones (5xx) mark it ``failed`` with the reason. A lost
   connection is reopened and the message tried again at once; if the server stays unreachable the
   claim is handed back and the batch runs again after the backoff. Pause and cancel are read between
   messages; the newsletter is ``sent`` when no row is queued, in flight or waiting for a retry.
"""
