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


def _batch_client(answer: httpx.Response) -> IntakeContentClient:
    client = IntakeContentClient("http://intake.test", "token")
    client.http = httpx.AsyncClient(
        base_url="http://intake.test", transport=httpx.MockTransport(lambda request: answer)
    )
    return client


async def test_a_batch_read_gives_each_report_its_own_outcome() -> None:
    client = _batch_client(
        httpx.Response(
            200,
            json={
                "reports": [
                    {"report_id": "a", "outcome": "found", "content": {"narrative": "x"}},
                    {"report_id": "b", "outcome": "missing"},
                    {"report_id": "c", "outcome": "does_not_open"},
                ]
            },
        )
    )
    found = await client.contents(["a", "b", "c", "d"])
    await client.close()
    assert found["a"] == {"narrative": "x"}
    assert isinstance(found["b"], ReportContentMissing)
    assert isinstance(found["c"], ReportContentUnreadable)
    assert isinstance(found["d"], ReportContentMissing)  # not answered: as good as unknown


@pytest.mark.parametrize("status", [401, 403, 500, 503])
async def test_a_batch_read_waits_out_an_outage(status: int) -> None:
    client = _batch_client(httpx.Response(status, json={"detail": "no"}))
    with pytest.raises(IntakeUnavailable):
        await client.contents(["a", "b"])
    await client.close()


async def test_a_large_batch_goes_in_several_requests_and_an_older_intake_is_read_one_by_one() -> (
    None
):
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json={"narrative": request.url.path.split("/")[-2]})

    client = IntakeContentClient("http://intake.test", "token")
    client.http = httpx.AsyncClient(
        base_url="http://intake.test", transport=httpx.MockTransport(answer)
    )
    ids = [f"r{i}" for i in range(150)]
    found = await client.contents(ids)
    await client.close()
    assert found == {i: {"narrative": i} for i in ids}
    assert asked.count("POST /internal/v1/reports/contents") == 2
    assert len([a for a in asked if a.startswith("GET")]) == 150
