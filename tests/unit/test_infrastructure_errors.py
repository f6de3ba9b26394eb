from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    UnknownError,
)
from pymongo.errors import AutoReconnect, DuplicateKeyError

from services.classifier.adapters import IntakeUnavailable, ReportContentMissing
from services.common.kafka import is_infrastructure_error


def test_only_an_absent_infrastructure_makes_a_consumer_wait():
    waits = [
        KafkaConnectionError(),
        KafkaTimeoutError(),
        UnknownError(),  # Tansu, restarted empty, before the topics are made again
        AutoReconnect(),
        IntakeUnavailable(),
    ]
    fails = [
        MessageSizeTooLargeError(),
        DuplicateKeyError("x"),
        ReportContentMissing("r"),
        ValueError(),
        FileNotFoundError(),
    ]
    assert all(is_infrastructure_error(e) for e in waits)
    assert not any(is_infrastructure_error(e) for e in fails)
