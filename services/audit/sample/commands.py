"""`commit`, `draw` and `status` against a running system (MongoDB, and Kafka for the draw)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from aiokafka.errors import KafkaError

from services.audit.adapters import AuditLog
from services.audit.sample import service
from services.audit.sample.adapters import LoggedReports, SamplePeriods
from services.audit.sample.domain import SampleError, parse_beacon, parse_dice
from services.common import kafka, mongo, topics
from services.common.events import Envelope, utcnow
from services.common.settings import AuditSettings


async def run(args: argparse.Namespace) -> int:
    settings = AuditSettings()
    client = mongo.connect(settings.mongodb_uri)
    db = client[settings.database]
    periods, reports, log = SamplePeriods(db), LoggedReports(db), AuditLog(db)
    try:
        await periods.create_indexes()
        await reports.create_indexes()
        if args.command == "status":
            print(json.dumps(await service.status(periods), indent=2, ensure_ascii=False))
            return 0
        if args.command == "commit":
            request = service.commit_request(
                settings,
                args.period,
                minimum=args.minimum,
                rate=args.rate,
                stratify_by=args.stratify_by,
                beacon_round=args.beacon_round,
                dice=args.dice,
                with_beacon=not args.no_beacon,
            )
            record, warnings = await service.commit(
                periods, reports, log, request, utcnow(), args.by
            )
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            return write(record, args.out)
        beacon = parse_beacon(args.beacon) if args.beacon else None
        producer = kafka.make_producer(settings)
        try:
            await producer.start()
        except KafkaError as exc:
            await producer.stop()
            reason = f"Kafka is not reachable ({type(exc).__name__}); nothing was drawn"
            print(reason, file=sys.stderr)
            return 3
        try:

            async def publish(events: list[Envelope]) -> None:
                for event in events:
                    await kafka.publish(producer, topics.REPORT_STAGE, event)

            record = await service.draw(
                periods, log, publish, args.period, beacon, parse_dice(args.dice), utcnow(), args.by
            )
        except KafkaError as exc:
            print(
                f"the stage events were not all sent ({type(exc).__name__}); if the draw was "
                "recorded, the same draw command sends them again (it is refused as a redo, and "
                "sends the first draw's events)",
                file=sys.stderr,
            )
            return 3
        finally:
            await producer.stop()
        return write(record, args.out)
    except SampleError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"refused{where}: {exc.reason}", file=sys.stderr)
        return 1
    finally:
        await client.close()


def write(record: dict[str, Any], out: Any) -> int:
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0
