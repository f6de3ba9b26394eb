"""Hard limits at the server, as a client meets them (docs/limits.md): refused before the body
is read, and answered with what to do next. On real intake and tracker processes."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deploy.local.stack import Stack
from services.common import tracking_code
from tests.integration.helpers import REPORT, StartStack, wait_for_stage, wait_until

TUNING = {
    "HTTP_MAX_JSON_BYTES": str(64 * 1024),
    "HTTP_BODY_TIMEOUT_SECONDS": "2",
    "HTTP_HEADER_TIMEOUT_SECONDS": "3",
    "HTTP_MAX_CONNECTIONS_PER_CLIENT": "8",
    "HTTP_MAX_REQUESTS_IN_FLIGHT_PER_CLIENT": "4",
    "LOOKUP_FREE_FAILURES": "2",
    "LOOKUP_MAX_DELAY_SECONDS": "0.1",
    "LOOKUP_REFUSE_AFTER_FAILURES": "5",
}


@pytest.fixture(scope="module")
def limited(start_stack: StartStack) -> Iterator[Stack]:
    with start_stack("limits", only=["intake", "tracker"], tuning=TUNING) as stack:
        yield stack


def port_of(stack: Stack, service: str) -> int:
    return stack.ports[service]


def raw(port: int, data: bytes, source: str = "127.0.0.1") -> socket.socket:
    """A connection that sent exactly `data` (and maybe less than it promised)."""
    connection = socket.create_connection(
        ("127.0.0.1", port), timeout=15, source_address=(source, 0)
    )
    connection.sendall(data)
    return connection


def answer_of(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body the server sent before it closed."""
    received = b""
    with connection:
        while True:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def post_head(path: str, length: int, content_type: str = "application/json") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def client_from(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=15)


def test_a_200_mb_report_is_refused_with_413_before_a_byte_of_it_is_read(limited: Stack):
    # Only the head is sent: the answer comes without the server waiting for the body.
    status, _, body = answer_of(
        raw(port_of(limited, "intake"), post_head("/v1/reports", 200 * 1024 * 1024))
    )
    assert status == 413
    (problem,) = json.loads(body)["detail"]
    assert problem["field"] == "body"
    assert f"at most {64 * 1024} bytes" in problem["reason"]


def test_an_oversized_web_form_gets_the_reporters_page_not_json(limited: Stack):
    head = post_head("/report?lang=en", 10 * 1024 * 1024, "application/x-www-form-urlencoded")
    status, headers, body = answer_of(raw(port_of(limited, "intake"), head))
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert "over the 512 KB limit" in body.decode()


def test_a_body_that_stops_arriving_is_answered_408_and_nothing_is_kept(limited: Stack):
    connection = raw(port_of(limited, "intake"), post_head("/v1/reports", 1000) + b'{"chan')
    status, _, body = answer_of(connection)
    assert status == 408
    (problem,) = json.loads(body)["detail"]
    assert problem["field"] == "body" and "stopped arriving" in problem["reason"]


@pytest.mark.parametrize("finished", [True, False], ids=["whole", "still-arriving"])
def test_headers_over_the_limit_get_431(limited: Stack, finished: bool):
    head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"a" * 40_000
    status, _, body = answer_of(
        raw(port_of(limited, "tracker"), head + (b"\r\n\r\n" if finished else b""))
    )
    assert status == 431
    assert json.loads(body)["detail"]["error"] == "headers_too_large"


def test_headers_that_never_finish_arriving_get_408(limited: Stack):
    status, _, body = answer_of(raw(port_of(limited, "tracker"), b"GET /healthz HTTP/1.1\r\nHo"))
    assert status == 408
    assert json.loads(body)["detail"]["error"] == "request_timeout"


def test_a_client_with_too_many_connections_gets_429_and_another_client_does_not(limited: Stack):
    port = port_of(limited, "tracker")
    held = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(8)]
    try:
        status, headers, body = answer_of(raw(port, b""))
        assert status == 429 and headers["retry-after"] == "1"
        assert json.loads(body)["detail"]["error"] == "too_many_connections"
        with client_from("127.0.0.2") as other:
            assert other.get(f"{limited.url('tracker')}/healthz").status_code == 200
    finally:
        for connection in held:
            connection.close()


def test_a_client_with_too_many_requests_in_flight_gets_429_with_retry_after(limited: Stack):
    port = port_of(limited, "intake")
    # Four requests held open by bodies that are still (not) arriving.
    held = [raw(port, post_head("/v1/reports", 1000) + b"{") for _ in range(4)]
    try:
        answers: list[httpx.Response] = []

        def refused() -> bool:
            answers.append(httpx.get(f"{limited.url('intake')}/healthz", timeout=15))
            return answers[-1].status_code == 429

        wait_until(refused, 10, "a fifth request in flight refused")
        assert answers[-1].headers["retry-after"] == "1"
        assert answers[-1].json()["detail"]["error"] == "too_many_requests"
    finally:
        for connection in held:
            connection.close()


@pytest.fixture(scope="module")
def known_code(limited: Stack) -> str:
    with client_from("127.0.0.9") as client:
        answer = client.post(f"{limited.url('intake')}/v1/reports", json=REPORT)
    assert answer.status_code == 201
    code: str = answer.json()["tracking_code"]
    wait_for_stage(limited, code, "received")
    return code


def test_guessing_codes_beyond_the_threshold_gets_429_while_a_right_code_is_answered(
    limited: Stack, known_code: str
):
    with client_from("127.0.0.3") as guesser, client_from("127.0.0.4") as reporter:
        answers = [
            guesser.get(f"{limited.url('tracker')}/v1/track/{tracking_code.generate()}")
            for _ in range(7)
        ]
        assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
        assert int(answers[-1].headers["retry-after"]) > 0
        assert answers[-1].json()["detail"]["error"] == "too_many_guesses"
        # The right code from the guesser is refused too: the refusal says nothing about codes.
        assert guesser.get(f"{limited.url('tracker')}/v1/track/{known_code}").status_code == 429
        # Another client's right code is answered.
        assert reporter.get(f"{limited.url('tracker')}/v1/track/{known_code}").status_code == 200
        # The status page refuses the guesser with the page, in its language.
        page = guesser.post(
            f"{limited.url('tracker')}/status", data={"code": known_code, "lang": "en"}
        )
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
        assert "Try again in" in page.text and int(page.headers["retry-after"]) > 0


def test_guesses_sent_in_parallel_do_not_slip_past_the_threshold(limited: Stack):
    async def guess_many() -> list[int]:
        # Fewer connections than the per-client cap: this is about guesses, not connections.
        transport = httpx.AsyncHTTPTransport(
            local_address="127.0.0.5", limits=httpx.Limits(max_connections=6)
        )
        async with httpx.AsyncClient(transport=transport, timeout=15) as client:
            codes = [tracking_code.generate() for _ in range(20)]
            url = f"{limited.url('tracker')}/v1/track/"
            answers = await asyncio.gather(*(client.get(url + code) for code in codes))
        return [a.status_code for a in answers]

    statuses = asyncio.run(guess_many())
    assert statuses.count(404) <= 5  # the threshold, however many are in flight together
    assert set(statuses) <= {404, 429}


def test_evidence_uploads_by_guessed_codes_are_refused_with_429(limited: Stack):
    with client_from("127.0.0.6") as guesser:
        answers: list[Any] = [
            guesser.post(
                f"{limited.url('intake')}/v1/evidence",
                content=b"\x89PNG\r\n\x1a\n",
                headers={"X-Tracking-Code": tracking_code.generate(), "Content-Type": "image/png"},
            )
            for _ in range(6)
        ]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    assert answers[-1].json()["detail"]["error"] == "too_many_guesses"
    assert int(answers[-1].headers["retry-after"]) > 0
