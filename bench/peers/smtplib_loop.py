"""A plain smtplib loop: the same message N times over one connection (stdlib only, its own process).

python bench/peers/smtplib_loop.py PORT N MESSAGE_FILE
"""

import smtplib
import sys
import time
from pathlib import Path


def main() -> None:
    port, n, raw = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]).read_bytes()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(n):
            smtp.sendmail("no-reply@example.org", [f"bench{i}@example.net"], raw)
    print(f"{time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
