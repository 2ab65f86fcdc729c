"""Prepare django-post-office's queue for one benchmark round (run in bench/.venv-peers).

    python bench/peers/postoffice_queue.py N CONTENT_DIR

Migrates its database, empties post-office's tables and queues N messages, one per recipient
``bench{i}@example.net``, with the subject, plain text and HTML of CONTENT_DIR (the project's own
newsletter as one recipient sees it), so both send messages of the same size.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postoffice_settings")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from post_office import mail

    n, content = int(sys.argv[1]), Path(sys.argv[2])
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE post_office_log, post_office_attachment_emails, post_office_email CASCADE")
    subject = (content / "subject.txt").read_text()
    text = (content / "body.txt").read_text()
    html = (content / "body.html").read_text()
    for start in range(0, n, 2000):
        mail.send_many(
            [
                {
                    "sender": "no-reply@example.org",
                    "recipients": [f"bench{i}@example.net"],
                    "subject": subject,
                    "message": text.replace("%%N%%", str(i)),
                    "html_message": html.replace("%%N%%", str(i)),
                    "headers": {"List-Unsubscribe": f"<https://crm.example.org/u/{i}/>"},
                }
                for i in range(start, min(n, start + 2000))
            ]
        )


if __name__ == "__main__":
    main()
