"""Throwaway servers the tests start themselves: PostgreSQL 15, Redis, a stand-in of Twilio's
Messages API, and a gRPC interceptor that counts (and can slow or fail) calls to real servers.

A missing binary fails the test with the command that installs it; only
COLLEGEBOT_SKIP_SERVER_TESTS=1 turns that into a skip (say so when you use it)."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import grpc
import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(binary: Path | str) -> str:
    found = shutil.which(str(binary))
    if found:
        return found
    message = f"{binary} is missing: run scripts/system-deps.sh (make test does)"
    if os.environ.get("COLLEGEBOT_SKIP_SERVER_TESTS") == "1":
        pytest.skip(message)
    pytest.fail(message)


def _as_postgres(command: list[str]) -> list[str]:
    """initdb refuses root: run PostgreSQL's tools as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A PostgreSQL 15 cluster in a temporary directory, trusting local connections."""

    def __init__(self) -> None:
        initdb = require(PG_BIN / "initdb")
        self.dir = Path(tempfile.mkdtemp(prefix="collegebot-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        subprocess.run(
            _as_postgres([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres"])
            + ["--no-sync"],
            check=True,
            capture_output=True,
        )
        self.start()

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._ctl("-l", str(self.dir / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster and its backends."""
        postmaster = (self.data / "postmaster.pid").read_text().split()[0]
        children = subprocess.run(["pgrep", "-P", postmaster], capture_output=True, text=True)
        return [int(postmaster), *map(int, children.stdout.split())]

    def kill(self) -> None:
        """SIGKILL to every process of the cluster (`start` then runs crash recovery)."""
        import signal

        for pid in self.pids():
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            assert time.monotonic() < deadline, "postgres still listening after SIGKILL"
            time.sleep(0.05)

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement)

    def new_database(self, name: str) -> str:
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """Debian's redis-server on a loopback port, no persistence; a fault test kills it (-9) and
    starts it again on the same port (empty, as a Redis without persistence comes back)."""

    def __init__(self) -> None:
        self.binary = require("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while self.command("PING") != "+PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def command(self, *words: str) -> str:
        """One inline command's first reply line ("" when Redis does not answer)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(" ".join(words).encode() + b"\r\n")
                return s.recv(4096).split(b"\r\n")[0].decode()
        except OSError:
            return ""

    def keys(self) -> int:
        """How many keys Redis holds now."""
        reply = self.command("DBSIZE")
        return int(reply[1:]) if reply.startswith(":") else 0

    def kill(self) -> None:
        """SIGKILL, then until the port refuses connections."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class ConnectionCounter:
    """A loopback TCP port that counts the connections made to it and closes each at once: set
    as a process's HTTP(S) proxy, it shows whether the process tried to reach the network."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def answers_200(url: str) -> bool:
    """Whether `url` answers 200 now (a server still starting does not)."""
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class DockerEngine:
    """A throwaway Docker engine: dockerd (root only) with its own socket, data and exec roots in
    a temporary folder, and no bridge network (none can be made here: every container uses the
    host's network and binds 127.0.0.1). `docker` runs the client of that dockerd's package,
    whose builder is BuildKit without the buildx plugin. Skips when there is no engine to start."""

    def __init__(self) -> None:
        dockerd = shutil.which("dockerd")
        if os.environ.get("COLLEGEBOT_SKIP_SERVER_TESTS") == "1":
            pytest.skip("COLLEGEBOT_SKIP_SERVER_TESTS=1")
        if dockerd is None:
            pytest.skip("no Docker engine: dockerd is missing (scripts/system-deps.sh installs it)")
        if os.geteuid() != 0:
            pytest.skip("no Docker engine: starting a throwaway dockerd needs root")
        # The client of the same package (Debian's docker.io puts it in /usr/bin): a newer
        # client would want the buildx plugin for BuildKit.
        beside = [Path(dockerd).parent / "docker", Path("/usr/bin/docker")]
        self.client = next((str(c) for c in beside if c.exists()), shutil.which("docker") or "")
        # Short: a unix socket's path is limited to about 100 characters.
        self.dir = Path(tempfile.mkdtemp(prefix="cb-docker-"))
        # Layers, build cache and containers in memory (about 3 GB for the four images): on
        # this disk writing and then deleting their 60,000 files took minutes.
        self.tmpfs = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=8g,mode=0700", "tmpfs", str(self.dir)],
                capture_output=True,
            ).returncode
            == 0
        )
        config = self.dir / "daemon.json"
        config.write_text(
            json.dumps(
                {
                    "bridge": "none",
                    "iptables": False,
                    "ip-forward": False,
                    "ip-masq": False,
                    "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 1024, "Soft": 1024}},
                }
            )
        )
        self.host = f"unix://{self.dir}/docker.sock"
        self.log = self.dir / "dockerd.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [dockerd, "--config-file", str(config), "-H", self.host,
                 "--data-root", str(self.dir / "root"), "--exec-root", str(self.dir / "exec"),
                 "--pidfile", str(self.dir / "dockerd.pid")],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:  # a skip included: never leave a dockerd behind
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while self.docker("version", check=False, timeout=10).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text()[-1500:]
                pytest.skip(f"no Docker engine: dockerd did not start here:\n{tail}")
            time.sleep(0.2)

    def docker(
        self, *args: str, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess:
        env = {**os.environ, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}
        done = subprocess.run(
            [self.client, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr}")
        return done

    def close(self) -> None:
        if self.process.poll() is None:
            try:  # stop the containers first, so dockerd unmounts their layers
                running = self.docker("ps", "-aq", check=False, timeout=30).stdout.split()
                if running:
                    self.docker("rm", "-f", *running, check=False, timeout=60)
            except (OSError, subprocess.SubprocessError):
                pass
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.tmpfs:  # lazily: a mount dockerd left inside goes with it
            subprocess.run(["umount", "--lazy", "--recursive", str(self.dir)], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def import_standin_base(engine: DockerEngine, tag: str) -> None:
    """The Dockerfile's base image, made here: no registry is reachable, so `tag` becomes a
    minimal Debian bookworm with its python3.11 and venv (debootstrap from Debian's mirror),
    trusting this machine's certificate authorities as its pip does. Not the real
    python:3.11-slim (another Python build, in /usr/bin): a build on a stand-in base. The root
    file system is kept in ~/.cache/collegebot-tests (about 100 s to make, once)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "collegebot-tests"
    tarball = cache / "bookworm-python3.11-rootfs.tar"
    if not tarball.exists():
        debootstrap = shutil.which("debootstrap") or shutil.which("/usr/sbin/debootstrap")
        if debootstrap is None:
            pytest.skip("debootstrap is missing (scripts/system-deps.sh installs it)")
        rootfs = engine.dir / "rootfs"
        subprocess.run(
            [debootstrap, "--variant=minbase",
             "--include=python3,python3-venv,python-is-python3,ca-certificates",
             "bookworm", str(rootfs), "http://deb.debian.org/debian"],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/")
        (rootfs / "etc/pip.conf").write_text(
            "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n"
        )
        cache.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)
        shutil.rmtree(rootfs, ignore_errors=True)
    engine.docker(
        "import",
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", 'CMD ["python3"]',
        str(tarball), tag,
    )  # fmt: skip


class _Server(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: under load (bench/load.py's Groq
    # stand-in, tens of calls at once) further connections were refused, and the llm answered
    # offline for a stand-in's limit, not a vendor's.
    request_queue_size = 256
    daemon_threads = True


class HttpStandIn:
    """A quiet HTTP server on a loopback port, in a thread: a stand-in of a vendor's API. A
    subclass answers each POST in `post`, with `reply` for a JSON body."""

    def __init__(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                standin.post(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def post(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @staticmethod
    def reply(
        request: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None
    ) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TwilioMessagesStandIn(HttpStandIn):
    """Twilio's Messages resource as the REST client sees it: checks what Twilio checks (the
    path, HTTP basic auth with the account SID and token, the form fields: a Body, or a template's
    ContentSid) and answers 201 JSON.
    `fail_first` answers that many requests with 500 first, as a Twilio hiccup would."""

    def __init__(self, account_sid: str, auth_token: str, fail_first: int = 0) -> None:
        self.sent: list[dict[str, str]] = []
        self.refused: list[str] = []
        self.fail_first = fail_first
        self.account_sid = account_sid
        self.path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        super().__init__()

    def post(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length", 0))).decode()
        fields = {k: v[0] for k, v in parse_qs(raw).items()}
        if request.headers.get("Authorization") != self.auth:
            self.refused.append("auth")
            return self.reply(request, 401, {"code": 20003, "message": "Authenticate"})
        if request.path != self.path:
            self.refused.append(request.path)
            return self.reply(request, 404, {"code": 20404, "message": "Not found"})
        # A message is free text (Body) or an approved template (ContentSid, ContentVariables).
        content = "Body" in fields or "ContentSid" in fields
        if (
            not {"To", "From"} <= fields.keys()
            or not content
            or not fields["To"].startswith("whatsapp:+")
        ):
            self.refused.append("fields")
            return self.reply(request, 400, {"code": 21604, "message": "'To' is required"})
        if self.fail_first > 0:
            self.fail_first -= 1
            return self.reply(request, 500, {"code": 20500, "message": "Internal error"})
        self.sent.append(fields)
        sid = f"SM{len(self.sent):032d}"
        self.reply(
            request,
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": fields["To"],
                "from": fields["From"],
                "body": fields.get("Body", ""),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"{self.path[:-5]}/{sid}.json",
            },
        )


class SentryStandIn(HttpStandIn):
    """Sentry's envelope endpoint as sentry_sdk sends to it (`POST /api/<project>/envelope/`,
    gzip or plain): keeps every envelope's raw text, so a test can look for what must not be
    there, and its items, so it can tell an error event from a transaction."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        super().__init__()
        self.dsn = self.url.replace("http://", "http://public@") + "/1"

    def post(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        if request.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        known = re.fullmatch(r"/api/\d+/envelope/", request.path) is not None
        if known:
            self.envelopes.append(raw.decode())
        self.reply(request, 200 if known else 404, {})

    def items(self) -> list[dict]:
        """Every item of every envelope: its header's type beside its payload, parsed."""
        out = []
        for envelope in self.envelopes:
            lines = envelope.split("\n")[1:]  # after the envelope's own header
            for header, payload in zip(lines[::2], lines[1::2], strict=False):
                out.append({"type": json.loads(header).get("type"), **json.loads(payload)})
        return out


class CallCounter(grpc.aio.ServerInterceptor):
    """Counts calls per method on a real gRPC server; can delay them or fail the next few with
    UNAVAILABLE (what a restarting pod answers)."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.delay_s = 0.0
        self.fail_next = 0

    def reset(self) -> None:
        self.calls.clear()
        self.delay_s, self.fail_next = 0.0, 0

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        method = details.method.rsplit("/", 1)[-1]
        if handler is None or handler.unary_unary is None or details.method.startswith("/grpc."):
            return handler
        inner, counter = handler.unary_unary, self

        async def counted(request, context):
            counter.calls[method] += 1
            if counter.fail_next > 0:
                counter.fail_next -= 1
                await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
            if counter.delay_s:
                await asyncio.sleep(counter.delay_s)
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            counted,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class PgBouncer:
    """PgBouncer in transaction mode in front of `postgres`: what Supabase's pooler does."""

    def __init__(self, postgres: Postgres, users: list[str]) -> None:
        binary = require("/usr/sbin/pgbouncer")
        self.port = free_port()
        folder = postgres.dir
        (folder / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
        config = folder / "pgbouncer.ini"
        config.write_text(
            f"[databases]\n* = host=127.0.0.1 port={postgres.port}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\nunix_socket_dir =\n"
            f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        )
        if os.geteuid() == 0:
            for path in (config, folder / "userlist.txt"):
                shutil.chown(path, "postgres", "postgres")
        self.process = subprocess.Popen(_as_postgres([binary, str(config)]))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("pgbouncer did not start") from None
                time.sleep(0.05)

    def url(self, database: str, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


ROOT = Path(__file__).resolve().parents[1]


class ServiceProcess:
    """`python -m services.<name>` as its own process, as a container runs it: killed with
    SIGKILL and started again on the same ports and state by a fault test."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.env, self.log = name, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import sys

        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, as a container
            )

    def wait_http(self, url: str, timeout_s: float = 60) -> None:
        """Until `url` answers 200 (bounded; fails with the log's tail)."""
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            if answers_200(url):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} not ready: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def wait_grpc(self, address: str, timeout_s: float = 180) -> None:
        """Until the gRPC server at `address` reports SERVING on a fresh channel of our own
        (bounded; fails with the log's tail)."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + timeout_s
        with grpc.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    pytest.fail(f"{self.name} exited: {self.log.read_text()[-2000:]}")
                try:
                    status = health.Check(health_pb2.HealthCheckRequest(), timeout=2).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{self.name} not serving: {self.log.read_text()[-2000:]}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the whole group, no shutdown, no drain: a gateway's worker processes go
        with their supervisor instead of living on as orphans."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class SeparateServices:
    """rag and llm as processes of their own (`python -m services.<name>`, as containers run
    them) on one state folder, and gateways started against them; a fault test kills one (-9)
    and starts it again on the same port. `settings` adds to every process's environment."""

    def __init__(self, state: Path, log_dir: Path, settings: dict[str, str]) -> None:
        from tests.conftest import base_env

        rag, llm, rag_metrics, llm_metrics = free_ports(4)
        self.state, self.log_dir = state, log_dir
        self.addresses = {"rag": f"127.0.0.1:{rag}", "llm": f"127.0.0.1:{llm}"}
        self.env = base_env(state)
        self.env.update(
            RAG_PORT=str(rag),
            LLM_PORT=str(llm),
            RAG_METRICS_PORT=str(rag_metrics),
            LLM_METRICS_PORT=str(llm_metrics),
            RAG_ADDRESS=self.addresses["rag"],
            LLM_ADDRESS=self.addresses["llm"],
            **settings,
        )
        self.processes = {
            name: ServiceProcess(name, self.env, log_dir / f"{name}.log") for name in ("rag", "llm")
        }
        for process in self.processes.values():
            process.start()
        for name in self.processes:
            self.wait_serving(name)

    def wait_serving(self, name: str) -> None:
        self.processes[name].wait_grpc(self.addresses[name])

    def gateway(self, **settings: str) -> tuple[ServiceProcess, str]:
        """A gateway process against them, ready (rag and llm serve its /readyz); its URL."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**self.env, "GATEWAY_PORT": str(port), "PUBLIC_BASE_URL": base, **settings}
        gateway = ServiceProcess("gateway", env, self.log_dir / f"gateway-{port}.log")
        gateway.start()
        gateway.wait_http(base + "/readyz", timeout_s=120)
        return gateway, base

    def close(self) -> None:
        for process in self.processes.values():
            process.kill()


class WebhookStream:
    """A steady stream of signed webhooks from many students (`rate` a second, each its own
    request, as Twilio sends them), some delivered twice; every result is kept with the phase of
    the test it was sent in. Signed by collegebot.asker, as `collegebot ask` signs."""

    def __init__(self, url: str, token: str, questions: list[str], rate: float = 4.0) -> None:
        from collegebot.asker import Asker
        from collegebot.settings import StoreSettings

        self.asker = Asker(url, url, token, "+919800000000", StoreSettings())
        self.questions, self.rate = questions, rate
        self.began: dict[str, float] = {}  # when each phase began (time.monotonic())
        self.phase = "start"
        # sid, phase (when sent, and `done_phase` when answered), `sent_at` and `done_at`
        # (time.monotonic()), redelivery, status (None: refused), body, outcome (the
        # X-Collegebot-Outcome header)
        self.results: list[dict] = []
        self.forms: dict[str, dict[str, str]] = {}  # by MessageSid, to deliver again later
        self.tasks: set[asyncio.Task] = set()
        self.running = False

    @property
    def phase(self) -> str:
        """The test's phase now; each message is kept with the phase it was sent in."""
        return self._phase

    @phase.setter
    def phase(self, name: str) -> None:
        self._phase = name
        self.began[name] = time.monotonic()

    def _form(self, n: int) -> dict[str, str]:
        self.asker.sender = f"+9198{n % 50:08d}"
        return self.asker.form(self.questions[n % len(self.questions)])

    async def _send(self, client, form: dict[str, str], redelivery: bool) -> None:
        import httpx

        result = {
            "sid": form["MessageSid"],
            "phase": self.phase,
            "redelivery": redelivery,
            "sent_at": time.monotonic(),
        }
        self.forms.setdefault(form["MessageSid"], form)
        try:
            response = await client.post(
                self.asker.post_url, data=form, headers=self.asker.headers(form)
            )
            result.update(
                status=response.status_code,
                body=response.text,
                outcome=response.headers.get("x-collegebot-outcome"),
            )
        except httpx.HTTPError as e:  # refused or cut: not accepted, as Twilio would see it
            result.update(status=None, body=type(e).__name__, outcome=None)
        result.update(done_phase=self.phase, done_at=time.monotonic())
        self.results.append(result)

    async def redeliver(self, sids: list[str]) -> list[dict]:
        """Twilio delivering these MessageSids again, now (after the stream ran)."""
        import httpx

        before = len(self.results)
        async with httpx.AsyncClient(timeout=30) as client:
            await asyncio.gather(*(self._send(client, self.forms[s], True) for s in sids))
        return self.results[before:]

    async def run(self) -> None:
        import httpx

        self.running = True
        async with httpx.AsyncClient(timeout=30) as client:
            n = 0
            while self.running:
                form = self._form(n)
                for redelivery in (False, True) if n % 7 == 3 else (False,):
                    task = asyncio.create_task(self._send(client, form, redelivery))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                n += 1
                await asyncio.sleep(1 / self.rate)
            await asyncio.gather(*self.tasks)

    async def accepted(
        self,
        n: int,
        phase: str,
        timeout_s: float = 60,
        outcome: Callable[[str], bool] | None = None,
    ) -> None:
        """Until `n` messages sent in `phase` got their 200 (bounded); with `outcome`, only
        replies whose X-Collegebot-Outcome it accepts count."""
        deadline = time.monotonic() + timeout_s
        while (
            sum(
                r["phase"] == phase
                and r["status"] == 200
                and (outcome is None or outcome(r["outcome"] or ""))
                for r in self.results
            )
            < n
        ):
            assert time.monotonic() < deadline, f"fewer than {n} answered in phase {phase}"
            await asyncio.sleep(0.05)


def free_ports(n: int) -> list[int]:
    """`n` different free loopback ports (all bound at once, so no two are the same)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class CollegebotUp:
    """`collegebot up` as a user runs it (migrate, ingest data/, then the four services under
    honcho), on free ports and its own state directory; `settings` adds to its environment.
    Ready once the gateway's /readyz says rag and llm serve. `seed`: a state directory whose
    store and index already hold data/ (copied, so `up`'s own ingestion finds every document
    unchanged instead of embedding them all again)."""

    def __init__(
        self,
        state: Path,
        token: str,
        settings: dict[str, str] | None = None,
        seed: Path | None = None,
    ) -> None:
        import sys

        import httpx

        from tests.conftest import base_env

        if seed is not None:
            shutil.copytree(seed, state, dirs_exist_ok=True)

        gateway, dashboard, rag, llm, rag_metrics, llm_metrics = free_ports(6)
        self.state, self.token = state, token
        self.base = f"http://127.0.0.1:{gateway}"
        self.dashboard = f"http://127.0.0.1:{dashboard}"
        self.env = base_env(state)
        self.env.update(
            TWILIO_AUTH_TOKEN=token,
            PUBLIC_BASE_URL=self.base,
            GATEWAY_PORT=str(gateway),
            DASHBOARD_PORT=str(dashboard),
            RAG_PORT=str(rag),
            LLM_PORT=str(llm),
            RAG_METRICS_PORT=str(rag_metrics),
            LLM_METRICS_PORT=str(llm_metrics),
            RAG_ADDRESS=f"127.0.0.1:{rag}",
            LLM_ADDRESS=f"127.0.0.1:{llm}",
            **(settings or {}),
        )
        self.log = state / "up.log"
        with open(self.log, "w") as out:  # the services inherit the descriptor
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "collegebot"), "up"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services: list[int] = []
        deadline = time.monotonic() + 240
        while True:
            if self.process.poll() is not None:
                self.close()
                pytest.fail(f"collegebot up exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    self.services = _descendants(self.process.pid)
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.close()
                pytest.fail(f"not ready: {self.log.read_text()[-2000:]}")
            time.sleep(0.5)

    def metrics_targets(self) -> dict[str, str]:
        """Each service's /metrics address as `collegebot up` exposes it, by Prometheus job."""
        return {
            "gateway": self.base.removeprefix("http://"),
            "dashboard": self.dashboard.removeprefix("http://"),
            "rag": f"127.0.0.1:{self.env['RAG_METRICS_PORT']}",
            "llm": f"127.0.0.1:{self.env['LLM_METRICS_PORT']}",
        }

    def close(self) -> None:
        # honcho starts each service in a session of its own, so killing `collegebot up`'s group
        # alone left the four services running (found orphaned, serving); and honcho may have
        # gone first: the services seen once it was ready are killed too.
        services = set(self.services) | set(_descendants(self.process.pid))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        for pid in services:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """Every process below `root` (children, theirs, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(stat[1])
    found, frontier = [], [root]
    while frontier:
        below = [pid for pid, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def send_webhook(
    base: str, token: str, body: str, sender: str = "+919876501234", sign_with: str | None = None
):
    """One webhook as Twilio sends it, signed with `sign_with` (default: the right token);
    returns the httpx response and the MessageSid."""
    from urllib.parse import urlencode

    import httpx
    from twilio.request_validator import RequestValidator

    sid = "SM" + os.urandom(16).hex()
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{sender}",
        "To": "whatsapp:+14155238886",
        "Body": body,
        "NumMedia": "0",
        "WaId": sender.lstrip("+"),
    }
    url = base + "/webhook/whatsapp"
    signature = RequestValidator(sign_with or token).compute_signature(url, params)
    response = httpx.post(
        url,
        content=urlencode(params),
        timeout=30,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )
    return response, sid


class GroqStandIn(HttpStandIn):
    """Groq's chat-completions endpoint refusing the key (401, Groq's error body), as after a
    revoked key: every generation falls back to the offline answerer, and the breaker opens."""

    def __init__(self) -> None:
        self.requests = 0
        super().__init__()

    def post(self, request: BaseHTTPRequestHandler) -> None:
        request.rfile.read(int(request.headers.get("Content-Length", 0)))
        self.requests += 1
        error = {"message": "Invalid API Key", "type": "invalid_request_error"}
        self.reply(request, 401, {"error": {**error, "code": "invalid_api_key"}})


class Prometheus:
    """A real Prometheus server on a loopback port scraping `scrape_configs` every second, its
    storage in a temporary directory. Skips (with the reason) when the binary is absent."""

    BINARY = Path("/usr/bin/prometheus")

    def __init__(self, scrape_configs: list[dict]) -> None:
        if not self.BINARY.exists():
            pytest.skip(f"{self.BINARY} is missing: run scripts/system-deps.sh (make test does)")
        self.dir = Path(tempfile.mkdtemp(prefix="collegebot-prometheus-"))
        self.config = self.dir / "prometheus.yml"
        settings = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
        # JSON is YAML: no YAML writer needed.
        self.config.write_text(json.dumps({"global": settings, "scrape_configs": scrape_configs}))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.dir / "prometheus.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [str(self.BINARY), f"--config.file={self.config}"]
                + [f"--storage.tsdb.path={self.dir / 'data'}"]
                + [f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait(lambda: self._get("/-/ready").status_code == 200, "ready", 60)

    def _get(self, path: str, **params: str):
        import httpx

        return httpx.get(self.url + path, params=params, timeout=10)

    def _wait(self, check, what: str, timeout_s: float):
        import httpx

        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited: {self.log.read_text()[-2000:]}")
            try:
                if found := check():
                    return found
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prometheus: {what} not seen in {timeout_s:.0f} s")
            time.sleep(0.25)

    def query(self, expr: str) -> dict:
        """The API's answer to an instant query (its `status` is for the caller to check)."""
        return self._get("/api/v1/query", query=expr).json()

    def value(self, expr: str) -> float | None:
        """The one sample `expr` returns now, or None when it returns none."""
        answer = self.query(expr)
        assert answer["status"] == "success", (expr, answer)
        result = answer["data"]["result"]
        if not result:
            return None
        assert len(result) == 1, (expr, result)
        return float(result[0]["value"][1])

    def wait_value(self, expr: str, fits, timeout_s: float = 60) -> float:
        """Polls until `expr`'s sample is there and `fits` it (bounded); returns the value."""
        seen: list[float | None] = []

        def check():
            value = self.value(expr)
            seen[:] = [value]
            return value is not None and fits(value) and (value,)

        try:
            return self._wait(check, expr, timeout_s)[0]
        except pytest.fail.Exception:
            pytest.fail(f"{expr}: last value {seen}, not as expected")

    def wait_up(self, jobs: list[str], timeout_s: float = 60) -> None:
        """Until every target of `jobs` has been scraped successfully."""
        for job in jobs:
            self.wait_value(f'min(up{{job="{job}"}})', lambda v: v == 1, timeout_s)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


# Debian's chromium, driven by Playwright: never `playwright install` (it downloads a browser).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STAFF = ("staff", "a-test-password")  # the dashboard's login in these tests


class DashboardProcess(ServiceProcess):
    """`python -m services.dashboard` on a free port, over the store at `database_url`."""

    def __init__(self, state: Path, database_url: str, **settings: str) -> None:
        from tests.conftest import base_env

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = base_env(state)
        env.update(
            DATABASE_URL=database_url,
            DASHBOARD_PORT=str(self.port),
            DASHBOARD_USERNAME=STAFF[0],
            DASHBOARD_PASSWORD=STAFF[1],
            LOG_FORMAT="text",
            **settings,
        )
        super().__init__("dashboard", env, state / "dashboard.log")
        self.start()
        self.wait_http(f"{self.url}/healthz")


class BrowserErrors:
    """What a page wrote to the browser console as an error, or threw, while a test ran."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.messages.append(m.text))
        page.on("pageerror", lambda e: self.messages.append(f"uncaught: {e}"))


def sign_in(page, base_url: str, user: str = STAFF[0], password: str = STAFF[1]) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def settle(page) -> None:
    """Until Dash has no callback in flight (its renderer titles the tab "Updating..." then)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => document.title !== 'Updating...'")


def until(check, what: str, timeout_s: float = 30):
    """Polls `check()` until it returns something truthy (bounded); returns it."""
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not seen in {timeout_s:.0f} s"
        time.sleep(0.1)
    return found
