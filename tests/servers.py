"""Throwaway real servers on loopback for one test run.

Each server is used as configured by its TEST_* variable when that is set;
otherwise it is started here from what the test command installed (Debian's
PostgreSQL and Redis, the Neo4j harness built by Maven, Label Studio's own
virtual environment) and stopped when the run ends.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

# Debian's Chromium, as the browser tests and bench/pages.py drive it (never `playwright install`).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ROOT = Path(__file__).resolve().parents[1]
THIS_CHECKOUT = {"PYTHONPATH": str(ROOT)}
"""Environment for a CLI subprocess: this checkout's code, whatever the venv's editable install names."""
NEO4J_HARNESS = ROOT / "tests" / "neo4j_harness"
LABEL_STUDIO_VENV = Path(
    os.environ.get(
        "SUPERINSIGHT_LABEL_STUDIO_VENV",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "superinsight" / "label-studio-venv",
    )
)


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except ServerError:
            raise
        except Exception:
            pass
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ServerError(f"{what} did not become ready within {timeout:.0f}s\n{tail}")


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root; as root, run the server as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


PASSWORD_ROLE = "sync_reader"


class PostgresServer:
    def __init__(self) -> None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not candidates:
            raise ServerError("PostgreSQL is not installed: apt-get install -y postgresql")
        self.bin = Path(candidates[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="si-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        data = self.dir / "data"
        subprocess.run(
            _as_postgres_user(
                [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )
        # Everyone is trusted on loopback except PASSWORD_ROLE, so tests can see a wrong password refused.
        hba = data / "pg_hba.conf"
        hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres_user(
                [
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.dir / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres_user(
                [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError("Redis is not installed: apt-get install -y redis-server")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="si-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=(self.dir / "server.log").open("wb"),
            stderr=subprocess.STDOUT,
        )

        def ping() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_until(ping, 20, "Redis", self.dir / "server.log")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class BackgroundServer:
    """A slow server started at the beginning of the run, waited for only by tests that use it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.dir = Path(tempfile.mkdtemp(prefix=f"si-{type(self).__name__.lower()}-"))
        self.log = self.dir / "server.log"

    def start_in_background(self) -> None:
        threading.Thread(target=self._start, daemon=True).start()

    def _start(self) -> None:
        try:
            self.launch()
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    def launch(self) -> None:
        raise NotImplementedError

    def wait(self, timeout: float) -> None:
        if not self._ready.wait(timeout):
            raise ServerError(f"{type(self).__name__} is still starting after {timeout:.0f}s")
        if self._error is not None:
            raise ServerError(f"{type(self).__name__} failed to start: {self._error}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Neo4jServer(BackgroundServer):
    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def launch(self) -> None:
        if not (NEO4J_HARNESS / "target" / "classes").exists():
            subprocess.run(
                ["mvn", "-q", "-B", "package", "-DskipTests"],
                cwd=NEO4J_HARNESS,
                check=True,
                capture_output=True,
            )
        classpath = f"{NEO4J_HARNESS / 'target' / 'classes'}:{NEO4J_HARNESS / 'target' / 'dependency' / '*'}"
        self.process = subprocess.Popen(
            [
                "java",
                "-Xmx768m",
                "-cp",
                classpath,
                "superinsight.Neo4jHarness",
                str(self.port),
                str(self.dir / "db"),
            ],
            stdin=subprocess.PIPE,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: "READY" in self.log.read_text(errors="replace"), 120, "Neo4j", self.log)


class LabelStudioServer(BackgroundServer):
    username = "admin@example.com"

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()
        self.token = secrets.token_hex(20)
        self.password = secrets.token_urlsafe(16)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        binary = LABEL_STUDIO_VENV / "bin" / "label-studio"
        if not binary.exists():
            raise ServerError(f"Label Studio is not installed in {LABEL_STUDIO_VENV}; run the test command")
        home = self.dir / "home"
        home.mkdir()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.dir / "ls"),
            "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
            "LANG": "C.UTF-8",
        }
        self.process = subprocess.Popen(
            [
                str(binary),
                "start",
                "--no-browser",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.dir / "ls"),
                "--username",
                self.username,
                "--password",
                self.password,
                "--user-token",
                self.token,
                "--enable-legacy-api-token",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

        def healthy() -> bool:
            if self.process and self.process.poll() is not None:
                raise ServerError("Label Studio exited")
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return b"UP" in response.read()

        wait_until(healthy, 240, "Label Studio", self.log)
