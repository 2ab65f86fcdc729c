"""Send N messages three ways to ONE SMTP sink, interleaved, and print the ratios.

    .venv/bin/python bench/compare_send.py [-n 10000] [--repetitions 3] [--phases project,post-office,smtplib]

The three contenders, each in processes of its own, against one aiosmtpd sink in a process of its own:

- **project**: this project's pipeline as in production — ``newsletter_send`` (freezing the audience as
  delivery rows and cutting batches) then a real ``celery worker`` (prefork, 2 processes) that claims,
  personalises, sends and marks rows. Timed from pressing send to the sink's N-th message.
- **post-office**: django-post-office, the library a Django team would otherwise pick, installed by this
  script into its own virtualenv (``bench/.venv-peers``, from ``bench/peers/requirements.txt``) with its
  own tiny settings (``bench/peers/postoffice_settings.py``) and its own database (the bench database's
  name + ``_peers``). N messages of the same size are queued first (not timed), then
  ``send_queued_mail --processes 2`` is timed from its start to the sink's N-th message.
- **smtplib**: a plain loop sending one pre-built message N times over one connection, in its own
  process (``bench/peers/smtplib_loop.py``): what the sink allows one sequential client.

Each repetition runs the three in a rotated order, so a slow moment of the shared machine does not
land on one contender. It prints each run's rate, the ratios within each repetition, the peak resident
memory of the project's worker (its main process plus pool processes) and of post-office's, and the
load average before and after.

``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/coalition_bench_newsletters; created and
migrated if missing; its newsletter tables are emptied) and ``BENCH_REDIS_URL`` (default
redis://127.0.0.1:6379/15) are the project's database and broker. Never point them at real data.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
PEERS_VENV = ROOT / "bench" / ".venv-peers"
sys.path.insert(0, str(ROOT))

from bench.databases import bench_database  # noqa: E402 - the repository root is on the path now

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coalition_bench_newsletters"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
QUEUE = "newsletters-compare"
PHASES = ("project", "post-office", "smtplib")
MIB = 1024 * 1024


# --- The sink, in a process of its own --------------------------------------------------------------


def _sink_process(port: int, control) -> None:
    """Runs in a spawned process: an aiosmtpd server that only counts, answering the control pipe."""
    import collections

    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    state = {"total": 0}
    per_recipient: collections.Counter = collections.Counter()

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            with lock:
                state["total"] += 1
                for rcpt in envelope.rcpt_tos:
                    per_recipient[rcpt.lower()] += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        with lock:
            if command == "total":
                control.send(state["total"])
            elif command == "reset":
                state["total"] = 0
                per_recipient.clear()
                control.send(True)
            elif command == "recipients":
                control.send((len(per_recipient), max(per_recipient.values(), default=0)))
            elif command == "stop":
                break
    controller.stop()
    control.send(True)


class Sink:
    def __init__(self) -> None:
        import multiprocessing

        self.port = _free_port()
        ctx = multiprocessing.get_context("spawn")
        self.control, child = ctx.Pipe()
        self.process = ctx.Process(target=_sink_process, args=(self.port, child), daemon=True)
        self.process.start()
        if not self.control.poll(30) or self.control.recv() != "ready":
            raise SystemExit("the SMTP sink did not start")

    def ask(self, command: str):
        self.control.send(command)
        return self.control.recv()

    def wait_for(self, n: int, *, started: float, stall: float = 90, proc=None) -> float:
        """Seconds from ``started`` until the sink has n messages."""
        last, last_change = -1, time.monotonic()
        while True:
            total = self.ask("total")
            if total >= n:
                return time.perf_counter() - started
            if total != last:
                last, last_change = total, time.monotonic()
            elif time.monotonic() - last_change > stall:
                raise SystemExit(f"stalled at {total}/{n}")
            if proc is not None and proc.poll() not in (None, 0):
                raise SystemExit(f"{proc.args[0]} exited with {proc.returncode} at {total}/{n}")
            time.sleep(0.01)

    def stop(self) -> None:
        try:
            self.ask("stop")
        finally:
            self.process.join(10)


# --- Helpers ------------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peers_database_url() -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_peers"))


def _ensure_peers() -> Path:
    """bench/.venv-peers with django-post-office, installed on first use (pinned in peers/requirements)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEERS_VENV} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS_VENV)], check=True)
    print("installing django-post-office into it (pinned in bench/peers/requirements.txt) …", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(PEERS / "requirements.txt")],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return python


class PeakMemory(threading.Thread):
    """Peak resident memory of a process tree (sum over the tree, and its largest process), and the CPU
    seconds the tree used while watched (sampled every 0.1 s)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self.stop = threading.Event()
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_last[pid] - self.cpu_first[pid] for pid in self.cpu_last)

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        first_round = True
        while not self.stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                sizes = []
                for p in procs:
                    sizes.append(p.memory_info().rss)
                    cpu = p.cpu_times()
                    # Processes there from the start count from now; those started later from zero.
                    self.cpu_first.setdefault(p.pid, cpu.user + cpu.system if first_round else 0.0)
                    self.cpu_last[p.pid] = cpu.user + cpu.system
            except psutil.Error:
                if not root.is_running():
                    break
                continue
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes))
            first_round = False
            time.sleep(0.1)

    def done(self) -> "PeakMemory":
        self.stop.set()
        self.join()
        return self


# --- The contenders -------------------------------------------------------------------------------------


class Project:
    def __init__(self, n: int, sink: Sink, concurrency: int) -> None:
        self.n = n
        self.sink = sink
        self.peak_total = 0
        self.peak_single = 0
        self.idle_rss = 0
        self.cpu: list[float] = []
        env = {
            "DJANGO_SETTINGS_MODULE": "coalition.settings",
            "DJANGO_ENV": "test",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "NEWSLETTER_CELERY_QUEUE": QUEUE,
            "NEWSLETTER_RATE_LIMIT": "0",
            "NEWSLETTER_PARALLEL_BATCHES": str(max(2, concurrency * 2)),
            "SITE_URL": "https://crm.example.org",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        bench_database(DATABASE_URL)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from newsletters.models import Subscriber, Topic

        print(f"project: database {DATABASE_URL}, redis {REDIS_URL}; migrating …", flush=True)
        call_command("migrate", verbosity=0)
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE newsletters_delivery, newsletters_sendbatch, newsletters_newsletter_topics, "
                "newsletters_newsletter, newsletters_bounceevent, "
                "newsletters_consentrecord_requested_topics, newsletters_consentrecord, "
                "newsletters_subscriber_topics, newsletters_subscriber CASCADE"
            )
        self.topic, _ = Topic.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
        print(f"project: creating {n} confirmed subscribers …", flush=True)
        now = timezone.now()
        for start in range(0, n, 5000):
            rows = Subscriber.objects.bulk_create(
                [
                    Subscriber(
                        email=f"bench{i}@example.net",
                        name=f"Bench Reader {i}",
                        status="confirmed",
                        confirmed_at=now,
                    )
                    for i in range(start, min(n, start + 5000))
                ]
            )
            Subscriber.topics.through.objects.bulk_create(
                [Subscriber.topics.through(subscriber_id=s.pk, topic_id=self.topic.pk) for s in rows]
            )
        from coalition.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
        self.app = app
        log_path = ROOT / "var" / "bench-compare-worker.log"
        log_path.parent.mkdir(exist_ok=True)
        self.hostname = f"compare-{os.getpid()}@bench"
        self.worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "coalition", "worker", "-l", "WARNING",
                "-n", self.hostname, "-P", "prefork", "-c", str(concurrency), "-Q", QUEUE,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "PYTHONUNBUFFERED": "1"},
            stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[self.hostname], timeout=0.5):
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start; see {log_path}")
        idle = PeakMemory(self.worker.pid)
        idle.start()
        time.sleep(0.5)
        self.idle_rss = idle.done().peak_total

    def body(self) -> str:
        return (
            "Hello {{ name }},\n\n## New members\n\n- Bhutan joined as a founding member.\n- Denmark set a "
            "**110 %** reduction target for 2050.\n\n## Campaign milestones\n\n"
            + "A paragraph of news about net-negative targets in NDCs. "
            * 20
        )

    def write_content(self, folder: Path) -> None:
        """One recipient's message as the project sends it, for the peers to send the same size."""
        import uuid

        from newsletters import services
        from newsletters.sending import rendering

        newsletter = services.newsletter_create(
            topics=[self.topic], subject="Sample", body_markdown=self.body()
        )
        rendered = services.newsletter_rendered(newsletter=newsletter)
        key = uuid.UUID(int=1)
        links = rendering.subscriber_links(key)
        values = {"name": "Bench Reader %%N%%", "email": "bench%%N%%@example.net", "key": key}
        (folder / "subject.txt").write_text("Bench progress update")
        (folder / "body.txt").write_text(
            rendering.personalise(rendered.text, html=False, links=links, **values)
        )
        (folder / "body.html").write_text(
            rendering.personalise(rendered.html, html=True, links=links, **values)
        )
        raw = rendering.message_skeleton(rendered=rendered, newsletter_id=newsletter.pk).message(
            name="Bench Reader 0", email="bench0@example.net", key=key, delivery_id=1
        )
        (folder / "message.eml").write_bytes(raw.data)
        from newsletters.models import Newsletter

        Newsletter.objects.filter(pk=newsletter.pk).delete()

    def run(self) -> float:
        from newsletters import services
        from newsletters.models import Delivery
        from newsletters.sending import services as sending

        newsletter = services.newsletter_create(
            topics=[self.topic], subject="Bench progress update", body_markdown=self.body()
        )
        memory = PeakMemory(self.worker.pid)
        memory.start()
        started = time.perf_counter()
        sending.newsletter_send(newsletter=newsletter)
        seconds = self.sink.wait_for(self.n, started=started, proc=self.worker)
        memory.done()
        self.cpu.append(memory.cpu_seconds)
        self.peak_total = max(self.peak_total, memory.peak_total)
        self.peak_single = max(self.peak_single, memory.peak_single)
        deadline = time.monotonic() + 30
        while Delivery.objects.filter(newsletter=newsletter).exclude(status="sent").exists():
            if time.monotonic() > deadline:
                raise SystemExit("the project's deliveries were not all marked sent")
            time.sleep(0.2)
        return seconds

    def stop(self) -> None:
        if self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            self.worker.wait(30)


class PostOffice:
    def __init__(self, n: int, sink: Sink, folder: Path) -> None:
        self.n = n
        self.sink = sink
        self.folder = folder
        self.python = _ensure_peers()
        url = _peers_database_url()
        bench_database(url)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
            "PEERS_DATABASE_URL": url,
            "SINK_PORT": str(sink.port),
            "PYTHONPATH": str(PEERS),
            "DJANGO_SETTINGS_MODULE": "postoffice_settings",
        }
        self.peak_total = 0
        self.cpu: list[float] = []
        self.log = (ROOT / "var" / "bench-compare-postoffice.log").open("ab")
        print(f"post-office: database {url}", flush=True)

    def run(self) -> float:
        subprocess.run(
            [str(self.python), str(PEERS / "postoffice_queue.py"), str(self.n), str(self.folder)],
            env=self.env,
            check=True,
        )
        self.sink.ask("reset")
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                str(self.python), "-m", "django", "send_queued_mail", "--processes", "2",
                "--lockfile", str(self.folder / "post_office"),
            ],
            env=self.env, cwd=PEERS, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        memory = PeakMemory(proc.pid)
        memory.start()
        seconds = self.sink.wait_for(self.n, started=started, proc=proc)
        proc.wait(120)
        self.peak_total = max(self.peak_total, memory.done().peak_total)
        self.cpu.append(memory.cpu_seconds)
        return seconds


class PlainLoop:
    def __init__(self, n: int, sink: Sink, folder: Path) -> None:
        self.n, self.sink, self.message = n, sink, folder / "message.eml"
        self.cpu: list[float] = []

    def run(self) -> float:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                str(PEERS / "smtplib_loop.py"),
                str(self.sink.port),
                str(self.n),
                str(self.message),
            ],
            stdout=subprocess.DEVNULL,
        )
        memory = PeakMemory(proc.pid)
        memory.start()
        seconds = self.sink.wait_for(self.n, started=started, proc=proc)
        proc.wait(60)
        self.cpu.append(memory.done().cpu_seconds)
        return seconds


# --- Main ---------------------------------------------------------------------------------------------


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="messages per run (default 10,000)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--phases", default=",".join(PHASES), help="which contenders (default: all three)")
    parser.add_argument("--concurrency", type=int, default=2, help="project worker processes (default 2)")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    load_before = _load()
    sink = Sink()
    folder = Path(tempfile.mkdtemp(prefix="compare-send-"))
    project = None
    try:
        project = Project(args.n, sink, args.concurrency)  # always: it writes the peers' message
        project.write_content(folder)
        contenders = {
            "project": project,
            **({"post-office": PostOffice(args.n, sink, folder)} if "post-office" in phases else {}),
            **({"smtplib": PlainLoop(args.n, sink, folder)} if "smtplib" in phases else {}),
        }
        rates: dict[str, list[float]] = {p: [] for p in phases}
        for rep in range(args.repetitions):
            order = phases[rep % len(phases) :] + phases[: rep % len(phases)]
            for phase in order:
                sink.ask("reset")
                seconds = contenders[phase].run()
                received, most = sink.ask("recipients")
                once = received == args.n and most == 1
                rates[phase].append(args.n / seconds)
                cpu = contenders[phase].cpu[-1] / args.n * 1e6
                print(
                    f"repetition {rep + 1}  {phase:12} {args.n / seconds:8.0f} messages/s  "
                    f"({seconds:6.1f} s, {cpu:4.0f} µs CPU per message, load {os.getloadavg()[0]:.1f})"
                    f"{'' if once else '  NOT exactly once per recipient'}",
                    flush=True,
                )
    finally:
        if project is not None:
            project.stop()
        sink.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(f"messages per run {args.n}; load average (1, 5, 15 min) before {load_before}, after {_load()}")
    for phase in phases:
        values = rates[phase]
        print(
            f"{phase:12} median {statistics.median(values):6.0f} msg/s  "
            f"(runs: {', '.join(f'{v:.0f}' for v in values)})"
        )
    for phase in phases:
        cpu = statistics.median(contenders[phase].cpu) if contenders[phase].cpu else 0.0
        print(f"{phase:12} CPU {cpu / args.n * 1e6:6.0f} µs per message (its own processes, median run)")
    for other in ("post-office", "smtplib"):
        if "project" in phases and other in phases:
            ratios = [p / o for p, o in zip(rates["project"], rates[other], strict=True)]
            print(
                f"project / {other:11} {statistics.median(ratios):5.2f}x median "
                f"(per repetition: {', '.join(f'{r:.2f}' for r in ratios)})"
            )
    print(
        f"project worker peak RSS {project.peak_total / MIB:.0f} MiB "
        f"(main + {args.concurrency} pool processes; "
        f"largest single process {project.peak_single / MIB:.0f} MiB; {project.idle_rss / MIB:.0f} MiB idle)"
    )
    if "post-office" in contenders:
        print(
            "post-office send_queued_mail peak RSS "
            f"{contenders['post-office'].peak_total / MIB:.0f} MiB (all processes)"
        )


if __name__ == "__main__":
    main()
