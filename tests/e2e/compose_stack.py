"""docker-compose.yml's workbench services, run as local processes against loopback servers.

`plan()` reads the compose file and turns each of `app`, `worker` and `scheduler` into
an argv and an environment: the compose command word for word, except its published
or exposed port (a free port here) and `0.0.0.0` (loopback here); the compose
environment's names exactly, its `${VAR:?…}` filled from the caller's secrets and its
service addresses (`postgres:5432`, …) pointed at the caller's servers. Anything the
compose file says that has no local meaning here stops the test with what to teach
this module, so the file and the test cannot drift apart.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from tests.servers import ROOT, THIS_CHECKOUT, free_port

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
WORKBENCH_SERVICES = ("app", "worker", "scheduler")
# The compose file's servers, by the address its services reach them at.
SERVER_ADDRESSES = ("postgres:5432", "redis:6379", "neo4j:7687", "label-studio:8080")
# Every word the workbench services' commands may hold; a new one must be taught here.
KNOWN_WORDS = {
    "sh",
    "-c",
    "&&",
    "superinsight",
    "migrate",
    "worker",
    "scheduler",
    "streamlit",
    "run",
    "serve.py",
}
PORT_OPTIONS = {"--server.port", "--metrics-port"}
ADDRESS_OPTIONS = {"--server.address"}
ALL_INTERFACES = {"0.0.0.0": "127.0.0.1"}  # a container's own network namespace; here, loopback
# Beyond the compose environment, only these, and why: the test's source database is on
# loopback (a production source lives elsewhere), and a killed worker's run is taken for dead
# after 15 s instead of the default 2 minutes, to keep the suite fast.
LOCAL_EXTRAS = {"SYNC_ALLOW_INTERNAL": "true", "SYNC_HEARTBEAT_TIMEOUT_SECONDS": "15"}
_VARIABLE = re.compile(
    r"\$(?:\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[?-])?(?P<arg>[^}]*)\}|(?P<escaped>\$))"
)


class ComposeDrift(AssertionError):
    """docker-compose.yml says something this module cannot run locally."""


def _drift(message: str) -> ComposeDrift:
    return ComposeDrift(f"docker-compose.yml: {message}; teach tests/e2e/compose_stack.py to run it")


def load() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def substitute(value: str, secrets: Mapping[str, str], where: str) -> str:
    """Compose's interpolation: `${NAME}`, `${NAME:?message}`, `${NAME:-default}`, `$$`."""

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op = match["name"], match["op"]
        if name in secrets:
            return secrets[name]
        if op in (":-", "-"):
            return match["arg"]
        raise _drift(f"{where} needs ${{{name}}}, which the test gives no value")

    replaced = _VARIABLE.sub(one, value)
    if "$" in _VARIABLE.sub("", value):
        raise _drift(f"{where} uses a form of interpolation the test does not know: {value!r}")
    return replaced


def _rewrite_url(value: str, servers: Mapping[str, str], where: str) -> str:
    """A compose service address pointed at the loopback server standing in for that service.

    Host and port always come from the local server; its user and database (path) too
    when it names them (PostgreSQL: the test's own database); the compose password stays.
    """
    parts = urlsplit(value)
    address = f"{parts.hostname}:{parts.port}"
    if address not in servers:
        raise _drift(f"{where} points at {address}, which is none of {', '.join(SERVER_ADDRESSES)}")
    local = urlsplit(servers[address])
    if local.scheme.split("+")[0] != parts.scheme.split("+")[0]:
        raise _drift(f"{where} speaks {parts.scheme}, the local server {local.scheme}")
    user = local.username or parts.username
    password = parts.password or local.password
    credentials = f"{user}{':' + password if password else ''}@" if user else ""
    path = local.path if local.path not in ("", "/") else parts.path
    return urlunsplit((parts.scheme, f"{credentials}{local.hostname}:{local.port}", path, parts.query, ""))


def environment(
    service: dict[str, Any], secrets: Mapping[str, str], servers: Mapping[str, str], where: str
) -> dict[str, str]:
    """The service's compose environment: same names, secrets filled in, addresses made local."""
    missing = set(SERVER_ADDRESSES) - set(servers)
    assert not missing, f"no local server given for {missing}"
    declared = service.get("environment") or {}
    if not isinstance(declared, dict):
        raise _drift(f"{where}'s environment is a list; the test reads the mapping form")
    env = {}
    for name, raw in declared.items():
        value = substitute(str(raw), secrets, f"{where}.{name}")
        if "://" in value:
            value = _rewrite_url(value, servers, f"{where}.{name}")
        hosts = "|".join(re.escape(address.split(":")[0]) for address in SERVER_ADDRESSES)
        if re.search(rf"(?<![\w.-])({hosts}):\d", value) and "://" not in value:
            raise _drift(f"{where}.{name} names a compose service's address outside a URL: {value!r}")
        env[name] = value
    return env


def command(service: dict[str, Any], where: str) -> list[str]:
    """The service's command with its port freshly chosen (so two workers can run side by side)."""
    words = service.get("command")
    if not isinstance(words, list):
        raise _drift(f"{where}'s command is not an exec-form list")
    declared = {str(p).split(":")[-1] for p in service.get("ports", [])} | {
        str(p) for p in service.get("expose", [])
    }
    if words[:2] == ["sh", "-c"]:
        if len(words) != 3:
            raise _drift(f"{where}'s `sh -c` has more than one script")
        script = _rewrite_words(shlex.split(words[2]), declared, where)
        return ["sh", "-c", " ".join(word if word == "&&" else shlex.quote(word) for word in script)]
    return _rewrite_words([str(word) for word in words], declared, where)


def _rewrite_words(words: list[str], declared_ports: set[str], where: str) -> list[str]:
    rewritten: list[str] = []
    for position, word in enumerate(words):
        option = words[position - 1] if position else ""
        if option in PORT_OPTIONS:
            if word not in declared_ports:
                raise _drift(f"{where} listens on {word}, a port it neither publishes nor exposes")
            rewritten.append(str(free_port()))
        elif option in ADDRESS_OPTIONS:
            if word not in ALL_INTERFACES:
                raise _drift(f"{where} binds {word}")
            rewritten.append(ALL_INTERFACES[word])
        elif word in KNOWN_WORDS or word in PORT_OPTIONS or word in ADDRESS_OPTIONS:
            rewritten.append(word)
        else:
            raise _drift(f"{where}'s command has {word!r}")
    return rewritten


def image_environment() -> dict[str, str]:
    """The Dockerfile's `ENV` lines (the image's environment under compose's)."""
    found: dict[str, str] = {}
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("ENV "):
            found.update(pair.split("=", 1) for pair in shlex.split(line[4:]))
    return found


@dataclass
class Service:
    """One workbench service to start: its compose argv and environment, made local."""

    name: str
    argv: list[str]
    env: dict[str, str]


def plan(
    compose: dict[str, Any],
    secrets: Mapping[str, str],
    servers: Mapping[str, str],
    *,
    venv_bin: Path,
    home: Path,
    extra: Mapping[str, str],
) -> Callable[[str], Service]:
    """A maker of each workbench service as the compose file runs it (call it twice for two workers)."""
    services = compose["services"]
    for name in WORKBENCH_SERVICES:
        if name not in services:
            raise _drift(f"there is no `{name}` service any more")
        if clash := set(extra) & set(services[name].get("environment") or {}):
            raise ComposeDrift(
                f"docker-compose.yml now sets {clash} itself: drop them from the test's extras"
            )
    base = {
        **image_environment(),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        **THIS_CHECKOUT,  # this checkout's code, whatever the venv's editable install names
    }

    def make(name: str) -> Service:
        service = services[name]
        env = environment(service, secrets, servers, name)
        return Service(name, command(service, name), {**base, **env, **extra})

    return make


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def family(self) -> set[int]:
        """This process and every descendant: an RQ work horse runs in a process group of its own."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(stat.parent.name))
        found, todo = set(), [self.pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo.extend(children.get(pid, []))
        return found


@dataclass
class Processes:
    """Every process the stack started, each in its own process group, killed whole at the end."""

    logs: Path
    started: list[Process] = field(default_factory=list)

    def start(self, service: Service, label: str | None = None) -> Process:
        label = label or service.name
        log = self.logs / f"{label}.log"
        popen = subprocess.Popen(
            service.argv,
            cwd=ROOT,
            env=service.env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(label, popen, log)
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: Process, sig: signal.Signals = signal.SIGKILL, family: set[int] | None = None) -> None:
        """Signal the process's group and each of its descendants (found before any of them dies)."""
        family = (family or set()) | (process.family() if process.alive() else {process.pid})
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        for pid in family - {process.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def stop_all(self, grace: float = 10) -> None:
        """Ask every process to stop, then kill what is left of each family (also after a failure)."""
        families = {process.pid: process.family() for process in self.started if process.alive()}
        for process in self.started:
            self.kill(process, signal.SIGTERM, families.get(process.pid))
        deadline = time.monotonic() + grace
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(max(deadline - time.monotonic(), 0.1))
            self.kill(process, signal.SIGKILL, families.get(process.pid))
            process.popen.wait(10)
