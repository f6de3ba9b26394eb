"""What a hostile body and a database outage cost intake (`make bench` runs it).

Starts Kafka, MongoDB and intake on free ports, then prints:
- intake's resident memory before and after a client streams a 200 MB body to
  `POST /v1/reports` (chunked, so no Content-Length refuses it up front), how much of it the
  server took before it answered, and its answer;
- with the database stopped, how long each submission takes to be answered and with what.
Stops everything it started, by pid.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from deploy.local.stack import Stack, running_stack

BODY_MB = 200
CHUNK = b"a" * (1024 * 1024)
OUTAGE_SUBMISSIONS = 5
REPORT = {"channel": "web", "narrative": "The harbour master takes a fee for every permit."}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stream_body(port: int) -> tuple[int, str]:
    """Streams up to BODY_MB of chunked body; how many MB went out and the status line."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0
    with connection:
        connection.sendall(
            b"POST /v1/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(BODY_MB):
                connection.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += 1
            connection.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: the rest was never taken
        try:
            status = connection.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError:
            status = "(connection reset after the answer)"
    return sent, status


def outage_answers(stack: Stack) -> list[tuple[int, float]]:
    stack.processes["mongodb"].stop()
    answers = []
    for _ in range(OUTAGE_SUBMISSIONS):
        started = time.perf_counter()
        answer = httpx.post(f"{stack.url('intake')}/v1/reports", json=REPORT, timeout=60)
        answers.append((answer.status_code, time.perf_counter() - started))
    return answers


def main() -> None:
    with tempfile.TemporaryDirectory() as logs, running_stack(Path(logs), services=False) as stack:
        stack.start_service("intake")
        stack.wait_ready("intake")
        pid = stack.processes["intake"].pid
        for _ in range(20):  # warm up the paths a body goes through
            httpx.post(f"{stack.url('intake')}/v1/reports", json=REPORT, timeout=30)
        before = rss_mb(pid)
        sent_mb, status = stream_body(stack.ports["intake"])
        time.sleep(1)
        after = rss_mb(pid)
        answers = outage_answers(stack)
    print(f"Intake memory and a {BODY_MB} MB chunked body to POST /v1/reports")
    print("| RSS before | RSS after | MB the client got out | answer |")
    print("|---:|---:|---:|---|")
    print(f"| {before:.1f} MB | {after:.1f} MB | {sent_mb} | {status} |")
    print()
    print("Submissions while the database is stopped")
    times = [seconds for _, seconds in answers]
    codes = sorted({code for code, _ in answers})
    print("| submissions | statuses | median s | longest s |")
    print("|---:|---|---:|---:|")
    print(
        f"| {len(answers)} | {codes} | {statistics.median(times):.2f} | {max(times):.2f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
