"""Integration fixtures: the real system on real Kafka-protocol and MongoDB-protocol servers.

The embedded backend (Tansu + SecantusDB processes on free loopback ports) always runs. The
containers backend runs the same tests on Apache Kafka and MongoDB images through
testcontainers where a Docker engine answers, and skips with the reason where none does.

Every test shares the one `stack`. A module that needs servers of its own (Kafka behind a
proxy it can cut, production throttling) starts them with `start_stack`; one that needs a
second instance of a service with other settings starts it with `helpers.second_instance`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from deploy.local.stack import Stack, free_port, running_stack
from tests.integration.helpers import StartStack, close_mongo_client, wait_until_all_classified

KAFKA_IMAGE = "apache/kafka:3.9.1"
MONGODB_IMAGE = "mongo:8.0"
DOCKER_SOCKET = "/var/run/docker.sock"


def _docker_engine_problem() -> str | None:
    if not os.environ.get("DOCKER_HOST") and not Path(DOCKER_SOCKET).exists():
        # Asked with no engine there, the Docker client leaves its socket open.
        return f"no Docker engine ({DOCKER_SOCKET} is absent); the embedded backend runs instead"
    try:
        import docker

        client = docker.from_env(timeout=3)
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__}); the embedded backend runs instead"
    try:
        client.ping()
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__}); the embedded backend runs instead"
    finally:
        client.close()
    return None


def _apache_kafka(host_port: int):  # type: ignore[no-untyped-def]
    """Apache Kafka in KRaft mode. testcontainers' KafkaContainer only knows Confluent's images,
    so the official image is configured here; it advertises the fixed host port it is bound to."""
    from testcontainers.core.container import DockerContainer

    settings = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }
    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, host_port)
    for name, value in settings.items():
        container = container.with_env(name, value)
    return container


@contextlib.contextmanager
def _containers_stack(log_dir: Path) -> Iterator[Stack]:
    from testcontainers.community.mongodb import MongoDbContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    kafka_port = free_port()
    with _apache_kafka(kafka_port) as kafka, MongoDbContainer(MONGODB_IMAGE) as mongo:
        wait_for_logs(kafka, "Kafka Server started", timeout=120)
        external = (f"127.0.0.1:{kafka_port}", mongo.get_connection_url())
        with running_stack(log_dir, external=external) as stack:
            yield stack


@contextlib.contextmanager
def _closing(started: Stack) -> Iterator[Stack]:
    try:
        yield started
    finally:
        close_mongo_client(started)


@pytest.fixture(scope="session", params=["embedded", "containers"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp(f"logs-{request.param}")
    if request.param == "containers":
        problem = _docker_engine_problem()
        if problem:
            pytest.skip(problem)
        with _containers_stack(log_dir) as started, _closing(started):
            yield started
        return
    with running_stack(log_dir) as started, _closing(started):
        yield started


@contextlib.contextmanager
def _own_stack(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    only: Sequence[str] | None = None,
    **options: Any,
) -> Iterator[Stack]:
    """Servers of one's own (`options` as `running_stack`'s); `only` starts just these
    services."""
    log_dir = Path(tmp_path_factory.mktemp(f"logs-{name}"))
    with running_stack(log_dir, services=only is None, **options) as started, _closing(started):
        for service in only or ():
            started.start_service(service)
        for service in only or ():
            started.wait_ready(service)
        yield started


@pytest.fixture(scope="session")
def start_stack(tmp_path_factory: pytest.TempPathFactory) -> StartStack:
    """`with start_stack("name", with_proxy=True, only=["tracker"], tuning={...}) as s:`"""

    def start(name: str, **options: Any) -> contextlib.AbstractContextManager[Stack]:
        return _own_stack(tmp_path_factory, name, **options)

    return start


@pytest.fixture(scope="module")
def all_classified_afterwards(stack: Stack) -> Iterator[None]:
    """For a module that sends reports without following each to its end."""
    yield
    wait_until_all_classified(stack)
