"""Real services for the scale-out tests: a moto S3 server and a Celery worker, as subprocesses,
and the two together with a Dagster instance the worker shares (:func:`celery_stack`).

ArcticDB's S3 client is C++, so an in-process mock never sees its requests: the S3 server must
listen on a real port. The Celery worker must be another process so the test proves that steps
leave the orchestrating process. Each service logs to a file; a service that does not come up
raises with its log, and a broker that cannot be reached is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import dagster as dg
import pytest
import redis

from vvv_pipeline.defs.executors import celery_worker_command

PROJECT_ROOT = Path(__file__).resolve().parents[2]
S3_ACCESS = "vvv-access"
S3_SECRET = "vvv-secret"
S3_REGION = "us-east-1"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def fail(self, reason: str) -> RuntimeError:
        return RuntimeError(f"{self.name}: {reason}\n--- {self.log_path} ---\n{self.log()}")

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise self.fail(f"exited with code {self.process.returncode} before ready")
            if time.monotonic() > deadline:
                raise self.fail(f"not ready after {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()  # Celery's warm shutdown: finish the step, then exit
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


@contextmanager
def service(
    name: str, argv: list[str], log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[ServiceProcess]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env or os.environ),
            cwd=PROJECT_ROOT,
        )
    running = ServiceProcess(name, process, log_path)
    try:
        yield running
    finally:
        running.stop()


def _venv_script(name: str) -> str:
    """The console script installed beside this interpreter (the venv's, not the PATH's)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"console script {name!r} not found beside {sys.executable}")
    return found


# --- S3 (moto) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    host: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def create_bucket(self, bucket: str) -> None:
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_ACCESS,
            aws_secret_access_key=S3_SECRET,
            region_name=S3_REGION,
        )
        client.create_bucket(Bucket=bucket)

    def arctic_uri(self, bucket: str) -> str:
        """ArcticDB's S3 URI: ``s3://`` is plain HTTP, path-style addressing is the default."""
        return (
            f"s3://{self.host}:{bucket}?port={self.port}"
            f"&access={S3_ACCESS}&secret={S3_SECRET}&region={S3_REGION}"
        )


def _answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def moto_s3_server(log_dir: Path, timeout: float = 30.0) -> Iterator[S3Server]:
    """moto's S3-compatible server on 127.0.0.1 and a free port, for the ``with`` block."""
    server = S3Server("127.0.0.1", free_port())
    argv = [_venv_script("moto_server"), "-H", server.host, "-p", str(server.port)]
    with service("moto_server", argv, log_dir / "moto_server.log") as running:
        running.wait_until(lambda: _answers_http(f"{server.endpoint}/moto-api/"), timeout)
        yield server


# --- Celery worker ---------------------------------------------------------------------------


def require_redis(url: str) -> None:
    """Raise (never skip) when the broker at ``url`` does not answer a PING."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise RuntimeError(f"Redis broker {url} is unreachable: {error}") from error


def purge_queue(url: str, queue: str) -> None:
    """Drop ``queue`` and its routing keys (Redis keeps a queue as a list beside its bindings)."""
    client = redis.Redis.from_url(url)
    names = [queue, *client.scan_iter(match=f"_kombu.binding*.{queue}")]
    client.delete(*names)


def worker_ready(log: str) -> bool:
    return " ready." in log


@contextmanager
def celery_worker(
    broker: str,
    queue: str,
    node_name: str,
    env: Mapping[str, str],
    log_dir: Path,
    pool: str = "solo",
    timeout: float = 60.0,
) -> Iterator[ServiceProcess]:
    """One worker on ``queue``; ``env`` is its whole environment. In the solo pool each step
    runs in the worker's own process, so a step's pid is the worker's."""
    require_redis(broker)
    argv = celery_worker_command(broker=broker, queue=queue, name=node_name, pool=pool)
    argv[0] = _venv_script("celery")
    worker_env = {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    }
    with service("celery worker", argv, log_dir / "celery_worker.log", worker_env) as running:
        running.wait_until(lambda: worker_ready(running.log()), timeout)
        yield running


# --- the whole stack --------------------------------------------------------------------------


@dataclass
class CeleryStack:
    instance: dg.DagsterInstance
    worker: ServiceProcess
    node: str


@contextmanager
def celery_stack(
    broker: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance_overrides: dict | None = None,
) -> Iterator[CeleryStack]:
    """A solo worker on a queue of its own, ArcticDB on an S3 server, and one Dagster instance
    shared with the worker; the environment (``VVV_*``) points the test's runs at all three."""
    queue = f"vvv-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("VVV_EXECUTOR", "celery")
    monkeypatch.setenv("VVV_CELERY_BROKER", broker)
    monkeypatch.setenv("VVV_CELERY_QUEUE", queue)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with (
        moto_s3_server(tmp_path / "logs") as s3,
        dg.instance_for_test(overrides=instance_overrides, temp_dir=str(dagster_home)) as instance,
    ):
        # ArcticDB on S3, as workers on other machines would need: LMDB is one machine's disk
        s3.create_bucket("vvv-celery")
        monkeypatch.setenv("VVV_ARCTIC_URI", s3.arctic_uri("vvv-celery"))
        node = f"{queue}@localhost"
        # the worker gets the test's environment: data dir, stores, executor and DAGSTER_HOME
        with celery_worker(broker, queue, node, dict(os.environ), tmp_path / "logs") as worker:
            try:
                yield CeleryStack(instance, worker, node)
            finally:
                purge_queue(broker, queue)
