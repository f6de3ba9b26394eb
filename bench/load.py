"""Report bodies and the async HTTP load generator shared by every benchmark target.

Every target (intake and both baselines) gets the same bodies, the same client, the same
concurrency: only the server differs. Every loop here is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from services.classifier.training import corpus
from services.intake.reports.domain import ReportIn

JSON_HEADERS = {"Content-Type": "application/json"}

# ---------------------------------------------------------------------------------------------
# Reports: mixed Chinese/English narratives of 200-600 characters, with location fields.
# ---------------------------------------------------------------------------------------------

# (province zh, province en, city zh, city en)
PLACES = (
    ("湖南", "Hunan", "长沙", "Changsha"),
    ("广东", "Guangdong", "深圳", "Shenzhen"),
    ("广东", "Guangdong", "广州", "Guangzhou"),
    ("四川", "Sichuan", "成都", "Chengdu"),
    ("河南", "Henan", "郑州", "Zhengzhou"),
    ("湖北", "Hubei", "武汉", "Wuhan"),
    ("山东", "Shandong", "青岛", "Qingdao"),
    ("浙江", "Zhejiang", "杭州", "Hangzhou"),
    ("云南", "Yunnan", "昆明", "Kunming"),
    ("辽宁", "Liaoning", "沈阳", "Shenyang"),
    ("陕西", "Shaanxi", "西安", "Xi'an"),
    ("江西", "Jiangxi", "南昌", "Nanchang"),
)
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙")
GIVEN = ("某", "老大", "二", "强", "军", "伟", "海", "斌")
ORGS_ZH = (
    "宏发建材公司",
    "鑫源物流",
    "金盛娱乐会所",
    "顺达砂石场",
    "富民投资理财",
    "华兴农贸市场管理处",
)
ORGS_EN = ("Hongfa Building Materials", "Xinyuan Logistics", "Golden Sun Club", "Shunda Sand Yard")
LANDMARKS_ZH = ("火车站", "农贸市场", "汽车站", "大桥下", "工业园", "夜市", "码头")
LANDMARKS_EN = ("the railway station", "the farmers' market", "the bus terminal", "the old bridge")
STREETS_ZH = ("解放路", "人民路", "建设大道", "中山路", "新华街", "滨江路")
STREETS_EN = ("Jiefang Road", "Renmin Road", "Zhongshan Road", "Binjiang Avenue")

ZH_SENTENCES = (
    "{city}{street}一带的{org}长期向周边商户收取保护费，每月{amount}元，不交就派人上门恐吓、砸店。",
    "{landmark}附近有人开设赌场，晚上十点以后人很多，门口有人放哨，输了钱的人被逼着借高利贷。",
    "{name}放高利贷，月息高达百分之{pct}，借款人还不上就暴力催收，还把人堵在家里殴打。",
    "村霸{name}把持村里的砂石运输，别的车进不来，谁不服就打人，已经有{count}个司机被打伤。",
    "有人在{landmark}下游非法采砂，晚上作业，船有{count}条，河堤已经被挖坏了。",
    "听说镇上有干部给他们充当保护伞，每次举报之前就有人通风报信，所以一直查不下来。",
    "菜市场被{name}一伙垄断，强买强卖，外地菜贩进不来，价格比别处贵一倍。",
    "{org}以投资理财为名非法集资，承诺年化收益{pct}%，去年{month}月老板跑路了，几百户血本无归。",
    "我不敢留下真实姓名，怕被报复，请一定替我保密。",
    "附近有人贩毒，经常在{landmark}交易，很多年轻人被拉下水。",
    "这种情况从{year}年开始已经持续好几年了，大家敢怒不敢言。",
    "他们还威胁说谁敢举报就让谁在{city}待不下去。",
)
EN_SENTENCES = (
    "The owner of {org_en} has been collecting protection money from shops on {street_en} "
    "since {year}, about {amount} yuan a month.",
    "I saw three men beat a vendor who refused to pay, and they threatened to burn his stall.",
    "A local official seems to protect them; officials protect the casino near "
    "{landmark_en} and nobody dares to report it.",
    "They run a loan shark business and send a debt collector to threaten whole families.",
    "Sand mining boats work the river at night near {landmark_en}, {count} of them at least.",
    "This has been going on for more than {count} years and many people are afraid.",
    "Please keep my identity confidential, I am afraid of retaliation.",
    "People say the gambling den moves every few weeks but the same group runs it.",
)
CHANNELS = ("web",) * 10 + ("wechat",) * 4 + ("weibo",) * 2 + ("qr",) * 2 + ("phone", "letter")


def _fill(template: str, rng: random.Random, place: tuple[str, str, str, str]) -> str:
    return template.format(
        city=place[2],
        street=rng.choice(STREETS_ZH),
        street_en=rng.choice(STREETS_EN),
        org=rng.choice(ORGS_ZH),
        org_en=rng.choice(ORGS_EN),
        landmark=rng.choice(LANDMARKS_ZH),
        landmark_en=rng.choice(LANDMARKS_EN),
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        amount=rng.randrange(200, 5000, 50),
        pct=rng.randint(5, 40),
        count=rng.randint(2, 30),
        month=rng.randint(1, 12),
        year=rng.randint(2015, 2025),
    )


def make_report(rng: random.Random) -> dict[str, Any]:
    """One report as a channel would send it; valid under `ReportIn`."""
    place = rng.choice(PLACES)
    mode = rng.choice(("zh", "zh", "mixed", "mixed", "en"))
    target = rng.randint(200, 600)
    pool = {"zh": ZH_SENTENCES, "en": EN_SENTENCES, "mixed": ZH_SENTENCES + EN_SENTENCES}[mode]
    separator = "" if mode == "zh" else " "
    narrative = ""
    # Each template at most once per report; stop at the target length, never past 600.
    for template in rng.sample(pool, len(pool)):
        longer = separator.join(filter(None, (narrative, _fill(template, rng, place))))
        if len(longer) <= 600:
            narrative = longer
        if len(narrative) >= target:
            break
    english = mode == "en"
    report: dict[str, Any] = {
        "channel": rng.choice(CHANNELS),
        "narrative": narrative,
        "location": {
            "province": place[1] if english else place[0],
            "city": place[3] if english else place[2],
            "details": (
                f"near {rng.choice(LANDMARKS_EN)}, {rng.choice(STREETS_EN)}"
                if english
                else f"{rng.choice(STREETS_ZH)}{rng.randint(1, 300)}号"
                f"{rng.choice(LANDMARKS_ZH)}旁边"
            ),
        },
        "language": {"zh": "zh", "en": "en", "mixed": "zh"}[mode],
    }
    if rng.random() < 0.6:
        when = datetime.now(UTC) - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
        report["incident_time"] = when.isoformat()
    if rng.random() < 0.5:
        report["people_involved"] = [
            rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(rng.randint(1, 3))
        ]
    if rng.random() < 0.4:
        report["organisations_involved"] = [rng.choice(ORGS_ZH)]
    if rng.random() < 0.2:
        report["contact"] = {
            "phone": f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} "
            f"{rng.randint(1000, 9999)}"
        }
    return report


def varied_narratives(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """(language, narrative) of reports generated the way the classifier's evaluation set is:
    fresh incidents, names and numbers from every seed, a fifth told two to four times (resent,
    retold, by other witnesses), the rest unrelated."""
    narratives: list[tuple[str, str]] = []
    while len(narratives) < count:
        narratives += [(row["lang"], row["text"]) for row in corpus.evaluation_set(seed=seed)]
        seed += 1
    return narratives[:count]


def make_bodies(count: int, seed: int, narratives: str = "templates") -> list[bytes]:
    """`count` distinct JSON bodies; the first few are checked against the real model.

    `templates`: every narrative drawn from the same twenty sentences above, so that reports
    share most of their wording, as a campaign of copy-pasted reports would (the classifier's
    worst case: every report links to hundreds). `varied`: narratives as `varied_narratives`
    makes them, with the same channels and location fields."""
    rng = random.Random(seed)
    reports = [make_report(rng) for _ in range(count)]
    if narratives == "varied":
        for report, (language, text) in zip(reports, varied_narratives(count, seed), strict=True):
            report["narrative"] = text
            report["language"] = "en" if language == "en" else "zh"
    for report in reports[:50]:
        ReportIn.model_validate(report)
    return [json.dumps(report, ensure_ascii=False).encode() for report in reports]


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (its threads included, reaped children too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: fields[11..14] are utime, stime, cutime, cstime.
    return sum(int(value) for value in fields[11:15]) / TICKS


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


def _headers(idempotency: bool) -> dict[str, str]:
    if not idempotency:
        return JSON_HEADERS
    return {**JSON_HEADERS, "Idempotency-Key": uuid.uuid4().hex}


@dataclass
class Throughput:
    target: str
    requested: int
    concurrency: int
    completed: int = 0
    ok: int = 0
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    tracking_codes: list[str] = field(default_factory=list)

    @property
    def reports_per_s(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "requested": self.requested,
            "concurrency": self.concurrency,
            "completed": self.completed,
            "ok": self.ok,
            "elapsed_s": self.elapsed_s,
            "reports_per_s": self.reports_per_s,
            "latency_s": summary(self.latencies_s),
            "errors": dict(self.errors),
        }


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, idempotency: bool
) -> tuple[int, dict[str, Any] | None]:
    async with session.post(url, data=body, headers=_headers(idempotency)) as response:
        raw = await response.read()
        if response.status != 201:
            return response.status, None
        answer: dict[str, Any] = json.loads(raw)
        return response.status, answer


async def closed_loop(
    target: str,
    url: str,
    bodies: list[bytes],
    *,
    concurrency: int,
    time_limit_s: float,
    request_timeout_s: float = 30.0,
    idempotency: bool = False,
) -> Throughput:
    """`concurrency` workers send the bodies back to back; stops early at the time limit."""
    result = Throughput(target=target, requested=len(bodies), concurrency=concurrency)
    indexes = iter(range(len(bodies)))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=request_timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + time_limit_s

        async def worker() -> None:
            for index in indexes:  # shared iterator: each body is sent once
                if time.perf_counter() > deadline:
                    result.errors["not sent (time limit)"] += 1
                    continue
                sent = time.perf_counter()
                try:
                    status, answer = await _post(session, url, bodies[index], idempotency)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result.errors[type(exc).__name__] += 1
                    continue
                finally:
                    result.completed += 1
                if status == 201 and answer is not None:
                    result.ok += 1
                    result.latencies_s.append(time.perf_counter() - sent)
                    if "tracking_code" in answer:
                        result.tracking_codes.append(answer["tracking_code"])
                else:
                    result.errors[f"HTTP {status}"] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result


# ---------------------------------------------------------------------------------------------
# End to end: submit at a steady rate, follow each report on the tracker until "classified".
# ---------------------------------------------------------------------------------------------


@dataclass
class Followed:
    submit_s: float | None = None
    error: str | None = None
    end_to_end_s: float | None = None  # until the current stage is "classified" (or "assigned")
    in_history_s: float | None = None  # until a "classified" entry shows in its history
    last_stage: str | None = None
    polls: int = 0
    # Server-side times from the tracker's history, relative to the report's "submitted" entry:
    # "received" is when the tracker handled the submission, "classified" when the classifier
    # finished (the tracker may apply it later).
    received_after_s: float | None = None
    classified_after_s: float | None = None


@dataclass
class EndToEnd:
    rate_per_s: float
    planned: int
    poll_interval_s: float
    poll_bound_s: float
    submit_window_s: float = 0.0
    elapsed_s: float = 0.0
    followed: list[Followed] = field(default_factory=list)
    poll_errors: Counter[str] = field(default_factory=Counter)
    tracking_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        done = [f for f in self.followed if f.end_to_end_s is not None]
        submitted = [f for f in self.followed if f.error is None]
        return {
            "rate_per_s": self.rate_per_s,
            "planned": self.planned,
            "achieved_submit_rate_per_s": (
                (len(self.followed) - 1) / self.submit_window_s if self.submit_window_s else None
            ),
            "poll_interval_s": self.poll_interval_s,
            "poll_bound_s": self.poll_bound_s,
            "elapsed_s": self.elapsed_s,
            "submitted_ok": len(submitted),
            "submit_errors": Counter(f.error for f in self.followed if f.error is not None),
            "classified": len(done),
            "not_classified_within_bound": len(submitted) - len(done),
            "end_to_end_s": summary([f.end_to_end_s for f in done if f.end_to_end_s is not None]),
            "submit_latency_s": summary([f.submit_s for f in submitted if f.submit_s is not None]),
            "server_submitted_to_received_s": summary(
                [f.received_after_s for f in submitted if f.received_after_s is not None]
            ),
            "server_submitted_to_classified_s": summary(
                [f.classified_after_s for f in submitted if f.classified_after_s is not None]
            ),
            "classified_in_history_s": summary(
                [f.in_history_s for f in submitted if f.in_history_s is not None]
            ),
            "classified_in_history_but_stage_not_classified": sum(
                f.in_history_s is not None and f.end_to_end_s is None for f in submitted
            ),
            "last_stage_of_unclassified": Counter(
                f.last_stage or "never seen" for f in submitted if f.end_to_end_s is None
            ),
            "tracker_polls": sum(f.polls for f in self.followed),
            "tracker_polls_per_s": (
                sum(f.polls for f in self.followed) / self.elapsed_s if self.elapsed_s else None
            ),
            "poll_errors": dict(self.poll_errors),
        }


FINAL_STAGES = frozenset({"submitted", "received", "classified"})


def _stage_times(status: dict[str, Any]) -> dict[str, datetime]:
    times: dict[str, datetime] = {}
    for entry in status.get("history", []):
        stage, at = entry.get("stage"), entry.get("at")
        if isinstance(stage, str) and isinstance(at, str) and stage not in times:
            times[stage] = datetime.fromisoformat(at)
    return times


async def _follow(
    session: aiohttp.ClientSession,
    intake_url: str,
    tracker_url: str,
    body: bytes,
    run: EndToEnd,
    idempotency: bool,
) -> None:
    followed = Followed()
    run.followed.append(followed)
    started = time.perf_counter()
    try:
        status, answer = await _post(session, f"{intake_url}/v1/reports", body, idempotency)
    except (aiohttp.ClientError, TimeoutError) as exc:
        followed.error = type(exc).__name__
        return
    followed.submit_s = time.perf_counter() - started
    if status != 201 or answer is None:
        followed.error = f"HTTP {status}"
        return
    run.tracking_codes.append(answer["tracking_code"])
    url = f"{tracker_url}/v1/track/{answer['tracking_code']}"
    deadline = started + run.poll_bound_s
    while time.perf_counter() < deadline:
        followed.polls += 1
        try:
            async with session.get(url) as response:
                payload = await response.read()
                code = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            run.poll_errors[type(exc).__name__] += 1
            await asyncio.sleep(run.poll_interval_s)
            continue
        if code == 200:
            current = json.loads(payload)
            times = _stage_times(current)
            followed.last_stage = current.get("stage")
            now = time.perf_counter() - started
            base = times.get("submitted")
            if base is not None and "received" in times and followed.received_after_s is None:
                followed.received_after_s = (times["received"] - base).total_seconds()
            if "classified" in times and followed.in_history_s is None:
                followed.in_history_s = now
                if base is not None:
                    followed.classified_after_s = (times["classified"] - base).total_seconds()
            # The tracker routes a classified case at once: "assigned" means classified too.
            if followed.last_stage in ("classified", "assigned"):
                followed.end_to_end_s = now
                return
            if FINAL_STAGES <= times.keys():
                return  # every stage is in the history: nothing more will change
        elif code != 404:  # 404: the tracker has not opened the case yet
            run.poll_errors[f"HTTP {code}"] += 1
        await asyncio.sleep(run.poll_interval_s)


async def steady_end_to_end(
    intake_url: str,
    tracker_url: str,
    bodies: list[bytes],
    *,
    rate_per_s: float,
    poll_interval_s: float = 0.05,
    poll_bound_s: float = 30.0,
    max_connections: int = 256,
    request_timeout_s: float = 30.0,
    idempotency: bool = False,
) -> EndToEnd:
    """Open loop: report i starts at i / rate, whatever happened to the ones before it."""
    run = EndToEnd(
        rate_per_s=rate_per_s,
        planned=len(bodies),
        poll_interval_s=poll_interval_s,
        poll_bound_s=poll_bound_s,
    )
    connector = aiohttp.TCPConnector(limit=max_connections)
    timeout = aiohttp.ClientTimeout(total=request_timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        try:
            for index, body in enumerate(bodies):
                delay = started + index / rate_per_s - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(
                    asyncio.create_task(
                        _follow(session, intake_url, tracker_url, body, run, idempotency)
                    )
                )
            run.submit_window_s = time.perf_counter() - started
            # Each follower stops at its own poll bound; this outer bound is only a safety net.
            async with asyncio.timeout(poll_bound_s + request_timeout_s + 10):
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        run.elapsed_s = time.perf_counter() - started
    return run


@dataclass
class Drain:
    reports: int
    classified: int = 0  # a "classified" entry is in the tracker's history
    stage_not_classified: int = 0  # ... but the current stage shown is another one
    last_classified_after_s: float = 0.0  # when the last of them was first seen classified
    waited_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "classified_in_history": self.classified,
            "classified_but_stage_shows_other": self.stage_not_classified,
            "last_classified_after_s": self.last_classified_after_s,
            "waited_s": self.waited_s,
        }


async def wait_until_classified(
    tracker_url: str, codes: list[str], *, time_limit_s: float, concurrency: int = 8
) -> Drain:
    """Polls the tracker until every report has a "classified" entry, or the time limit passes.

    Codes are checked a few at a time and dropped once classified, so the load this adds
    stays small.
    """
    result = Drain(reports=len(codes))
    pending = list(codes)
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def check(code: str) -> str | None:
            """None while not classified, else the current stage shown."""
            try:
                async with session.get(f"{tracker_url}/v1/track/{code}") as response:
                    if response.status != 200:
                        return None
                    status = json.loads(await response.read())
            except (aiohttp.ClientError, TimeoutError):
                return None
            return str(status.get("stage")) if "classified" in _stage_times(status) else None

        while pending and time.perf_counter() - started < time_limit_s:
            window = pending[: concurrency * 4]
            stages = await asyncio.gather(*(check(code) for code in window))
            done = {code for code, stage in zip(window, stages, strict=True) if stage is not None}
            if done:
                result.classified += len(done)
                result.stage_not_classified += sum(
                    s not in (None, "classified", "assigned") for s in stages
                )
                result.last_classified_after_s = time.perf_counter() - started
                pending = [code for code in pending if code not in done]
            else:
                await asyncio.sleep(0.25)
    result.waited_s = time.perf_counter() - started
    return result
