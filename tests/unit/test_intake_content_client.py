"""How the classifier reads intake's answers: wait on an outage, give up on a broken report."""

import httpx
import pytest

from services.classifier.adapters import (
    IntakeContentClient,
    IntakeUnavailable,
    ReportContentMissing,
    ReportContentUnreadable,
)


def _client(status: int, body: object) -> IntakeContentClient:
    client = IntakeContentClient("http://intake.test", "token")
    client.http = httpx.AsyncClient(
        base_url="http://intake.test",
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)),
    )
    return client


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"detail": "no such report"}, ReportContentMissing),
        (500, {"detail": {"error": "sealed_content_does_not_open"}}, ReportContentUnreadable),
        (500, {"detail": "Internal Server Error"}, IntakeUnavailable),
        (503, {"detail": {"error": "audit_unavailable"}}, IntakeUnavailable),
        (401, {"detail": "a valid service token is required"}, IntakeUnavailable),
    ],
)
async def test_each_answer_maps_to_wait_or_give_up(status: int, body: object, error: type) -> None:
    client = _client(status, body)
    with pytest.raises(error):
        await client.content("report-1")
    await client.close()


def test_only_outages_make_the_consumer_wait() -> None:
    assert issubclass(IntakeUnavailable, ConnectionError)  # waits and retries the same event
    assert not issubclass(ReportContentUnreadable, ConnectionError)  # dead-lettered
