"""Send a newsletter to N subscribers through the real pipeline and compare with a plain smtplib loop.

    .venv/bin/python bench/send_newsletter.py [-n 10000] [--concurrency 2] [--rate 0]

What it does, in one run:
1. Uses the database ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/coalition_bench_newsletters,
   created and migrated if missing; its newsletter tables are emptied) and ``BENCH_REDIS_URL`` (default
   redis://127.0.0.1:6379/15) as broker and rate-limit store. Never point these at real data.
2. Creates N confirmed subscribers of one topic and a newsletter to them.
3. Starts an aiosmtpd sink on loopback (counting messages per recipient) and a real ``celery worker``
   subprocess (prefork, ``--concurrency`` processes) on a queue of its own.
4. Presses "send" (``newsletter_send``) and times until the sink has N messages: messages per second
   through freeze, batches, claims, personalisation, rate limiter, SMTP and per-row status updates.
5. Sends N copies of an equivalent message with a plain ``smtplib`` loop over one connection to the same
   sink: the ceiling the SMTP sink allows on this machine.
6. Prints both rates, whether every recipient got exactly one message, and the worker's peak memory
   (resident set size of the worker and its pool processes, sampled with psutil every 0.1 s).
"""

import argparse
import collections
import os
import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_database  # noqa: E402 - the repository root is on the path now

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coalition_bench_newsletters"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
QUEUE = "newsletters-bench"


class CountingSink:
    """An SMTP handler that keeps only counts, so the sink's own memory stays small."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.per_recipient: collections.Counter = collections.Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.total += 1
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt.lower()] += 1
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.per_recipient.clear()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self.stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                sizes = [p.memory_info().rss for p in procs]
            except psutil.Error:
                break
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes))
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="subscribers (default 10,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (default 2)")
    parser.add_argument("--rate", type=float, default=0.0, help="NEWSLETTER_RATE_LIMIT, 0 = unlimited")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--claim-size", type=int, default=50)
    args = parser.parse_args()

    settings_env = {
        "DJANGO_SETTINGS_MODULE": "coalition.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "NEWSLETTER_CELERY_QUEUE": QUEUE,
        "NEWSLETTER_RATE_LIMIT": str(args.rate),
        "NEWSLETTER_BATCH_SIZE": str(args.batch_size),
        "NEWSLETTER_CLAIM_SIZE": str(args.claim_size),
        "NEWSLETTER_PARALLEL_BATCHES": str(max(2, args.concurrency * 2)),
        "SITE_URL": "https://crm.example.org",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(settings_env)
    bench_database(DATABASE_URL)

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from coalition.celery import app
    from newsletters import services
    from newsletters.models import Subscriber, Topic
    from newsletters.sending import services as sending
    from newsletters.sending.rendering import newsletter_message

    print(f"database {DATABASE_URL}, redis {REDIS_URL}; migrating…", flush=True)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE newsletters_delivery, newsletters_sendbatch, newsletters_newsletter_topics, "
            "newsletters_newsletter, newsletters_bounceevent, newsletters_consentrecord_requested_topics, "
            "newsletters_consentrecord, newsletters_subscriber_topics, newsletters_subscriber CASCADE"
        )
    topic, _ = Topic.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    print(f"creating {args.n} confirmed subscribers…", flush=True)
    now = timezone.now()
    for start in range(0, args.n, 5000):
        rows = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    email=f"bench{i}@example.net",
                    name=f"Bench Reader {i}",
                    status="confirmed",
                    confirmed_at=now,
                )
                for i in range(start, min(args.n, start + 5000))
            ]
        )
        Subscriber.topics.through.objects.bulk_create(
            [Subscriber.topics.through(subscriber_id=s.pk, topic_id=topic.pk) for s in rows]
        )
    body = (
        "Hello {{ name }},\n\n## New members\n\n- Bhutan joined as a founding member.\n- Denmark set a "
        "**110 %** reduction target for 2050.\n\n## Campaign milestones\n\n"
        + "A paragraph of news about net-negative targets in NDCs. "
        * 20
    )
    newsletter = services.newsletter_create(
        topics=[topic], subject="Bench progress update", body_markdown=body
    )

    sink = CountingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)
    worker_env = {
        **os.environ,
        **settings_env,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = ROOT / "var" / "bench-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    hostname = f"bench-{os.getpid()}@bench"
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "coalition", "worker", "-l", "WARNING", "-n", hostname,
            "-P", "prefork", "-c", str(args.concurrency), "-Q", QUEUE,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT, env=worker_env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start; see {log_path}")
        memory = PeakMemory(worker.pid)
        memory.start()
        idle_rss = 0
        time.sleep(0.5)
        idle_rss = memory.peak_total

        print(f"sending to {args.n} through the pipeline ({args.concurrency} worker processes)…", flush=True)
        started = time.perf_counter()
        sending.newsletter_send(newsletter=newsletter)
        last, last_change = -1, time.monotonic()
        while sink.total < args.n:
            if sink.total != last:
                last, last_change = sink.total, time.monotonic()
            elif time.monotonic() - last_change > 60:
                raise SystemExit(f"stalled at {sink.total}/{args.n}; see {log_path}")
            time.sleep(0.02)
        pipeline_seconds = time.perf_counter() - started
        time.sleep(1.0)  # anything extra would arrive now
        memory.stop.set()
        memory.join()
        newsletter.refresh_from_db()
        counts = dict(sink.per_recipient)
        exactly_once = len(counts) == args.n and set(counts.values()) == {1}

        # The same kind of message, sent N times over one connection by a bare loop.
        subscriber = Subscriber.objects.first()
        rendered = services.newsletter_rendered(newsletter=newsletter)
        raw = newsletter_message(
            rendered=rendered, name=subscriber.name, email=subscriber.email, key=subscriber.key,
            newsletter_id=newsletter.pk,
        ).message().as_bytes(linesep="\r\n")  # fmt: skip
        sink.reset()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(args.n):
                smtp.sendmail("no-reply@example.org", [f"bench{i}@example.net"], raw)
        plain_seconds = time.perf_counter() - started
    finally:
        import signal

        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
        controller.stop()

    mib = 1024 * 1024
    print()
    print(f"recipients                      {args.n}")
    pipeline_rate = args.n / pipeline_seconds
    print(f"pipeline (Celery, claims, SMTP)  {pipeline_rate:8.0f} messages/s  ({pipeline_seconds:.1f} s)")
    print(
        f"plain smtplib loop, same sink    {args.n / plain_seconds:8.0f} messages/s  ({plain_seconds:.1f} s)"
    )
    print(f"every recipient exactly once     {exactly_once}  (newsletter status: {newsletter.status})")
    print(
        f"worker peak RSS                  {memory.peak_total / mib:.0f} MiB for the worker and its "
        f"{args.concurrency} pool processes (largest single process {memory.peak_single / mib:.0f} MiB; "
        f"{idle_rss / mib:.0f} MiB idle before sending)"
    )


if __name__ == "__main__":
    main()
