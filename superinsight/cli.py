"""`superinsight ...`: the terminal face of the same services the pages use."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer

from superinsight.adapters import metrics
from superinsight.bootstrap import SchemaAheadError, bootstrap
from superinsight.db import revisions
from superinsight.redaction import display_url
from superinsight.resources import Resources
from superinsight.services import health as health_service
from superinsight.services.context import DEMO_TENANT, system_actor
from superinsight.services.errors import ServiceError

# What only some commands need is imported inside them: `superinsight health` runs as a
# container's health check every few seconds and should start in a fraction of a second,
# not load the demo, the password checker and the sync scheduler it never uses.

app = typer.Typer(help="SuperInsight Workbench command line.", no_args_is_help=True, add_completion=False)


def _resources(*, migrate_on_start: bool | None = None, only_looks: bool = False) -> Resources:
    """The process's resources through the one bootstrap; a database newer than this code stops here."""
    try:
        return bootstrap(migrate_on_start=migrate_on_start, only_looks=only_looks)
    except SchemaAheadError as exc:
        typer.secho(f"Refusing to start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Bring the database schema up to this version's newest revision."""
    resources = _resources(only_looks=True)
    before = revisions.current_revision(resources.engine)
    _resources(migrate_on_start=True)
    after = revisions.current_revision(resources.engine)
    where = display_url(resources.settings.effective_database_url)
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: migrated from {before or 'empty'} to {after}")


@app.command("seed-demo")
def seed_demo(
    documents: Annotated[int, typer.Option(min=2, help="How many demo documents to create.")] = 5000,
    tenant: Annotated[str, typer.Option(help="Tenant that owns the demo data.")] = DEMO_TENANT,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the tenant has documents.")
    ] = False,
) -> None:
    """Load the demo workspace: two sources, documents with metadata and a few rules."""
    from superinsight.services import overview
    from superinsight.services.demo.seed import seed_demo as seed_demo_service

    resources = _resources()
    _hand_over_demo_accounts(resources, tenant)
    if if_empty and not overview.summary(resources, system_actor(tenant)).empty:
        typer.echo("The workbench already has data; demo not loaded.")
        return
    with typer.progressbar(length=100, label="Seeding demo") as bar:
        done = 0

        def advance(fraction: float, _message: str) -> None:
            nonlocal done
            step = int(fraction * 100) - done
            bar.update(step)
            done += step

        result = seed_demo_service(resources, system_actor(tenant), documents, on_progress=advance)
    counts = result.documents
    typer.echo(
        f"Demo ready: {result.sources} sources, {counts.inserted} documents added, "
        f"{counts.updated} updated, {counts.unchanged} unchanged, {result.rules} rules added."
    )


def _hand_over_demo_accounts(resources: Resources, tenant: str) -> None:
    """Create the demo's accounts once and put their passwords in a file only this user can read."""
    from superinsight.services.demo import seed as demo

    accounts = demo.ensure_demo_users(resources, system_actor(tenant))
    if not accounts:
        return
    path = resources.settings.ensure_data_dir() / "demo-credentials.txt"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(
        f"Workspace: {tenant}\n" + "".join(f"{a.role:<10} {a.email:<32} {a.password}\n" for a in accounts)
    )
    typer.echo(f"Demo accounts created (admin, analyst, annotator, viewer); their passwords are in {path}")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The admin's email address.")],
    tenant: Annotated[str, typer.Option(help="Workspace (tenant) of the account.")] = DEMO_TENANT,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create an admin account (the first one of a workspace, or another)."""
    from superinsight.services.security import users

    resources = _resources()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        users.create_user(resources, system_actor(tenant), email, password, "admin")
    except ServiceError as exc:
        typer.secho(f"Not created: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Admin {email.strip().lower()} created in workspace {tenant}.")


MetricsPort = Annotated[int, typer.Option(min=0, max=65535, help="Serve Prometheus metrics here (0: none).")]


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Exit once the queue is empty.")] = False,
    metrics_port: MetricsPort = 0,
) -> None:
    """Run background jobs from the Redis queue (needs REDIS_URL)."""
    from superinsight.adapters.rq_jobs import RQJobQueue

    resources = _resources()
    if not isinstance(resources.jobs, RQJobQueue):
        typer.secho(
            "The worker needs REDIS_URL. Without it, jobs run inside the app process "
            "and no worker is needed.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    import rq

    if metrics_port:
        metrics.serve(metrics_port, resources.jobs.depths)
    rq.Worker([resources.jobs.queue], connection=resources.jobs.queue.connection).work(burst=burst)


@app.command()
def scheduler(
    once: Annotated[bool, typer.Option(help="Do one round and exit (for cron or tests).")] = False,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between rounds.")] = 10.0,
    metrics_port: MetricsPort = 0,
) -> None:
    """Start scheduled syncs and due retries, and fail runs whose worker died (no heartbeat)."""
    import threading

    from superinsight.services.sync import scheduler as sync_scheduler

    resources = _resources()
    if once:
        done = sync_scheduler.tick(resources)
        typer.echo(", ".join(f"{what}: {count}" for what, count in done.items()))
        return

    if metrics_port:
        metrics.serve(metrics_port, resources.jobs.depths)

    def report(done: dict[str, int]) -> None:
        if metrics_port:  # each round also probes the services, for their latency metrics
            health_service.check_services(resources)
        if any(done.values()):
            typer.echo(", ".join(f"{what}: {count}" for what, count in done.items()))

    sync_scheduler.tick_forever(resources, interval, threading.Event(), report)


@app.command()
def health(
    only: Annotated[list[str] | None, typer.Option(help="Check just these services (repeatable).")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on 'degraded' too, not only on 'down'.")] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="One JSON document on stdout, for scripts and container health checks."),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait for every service; one not answered by then is down."),
    ] = 3.0,
) -> None:
    """One line per service with its state, version and latency; non-zero exit if any is down."""
    unknown = set(only or ()) - set(health_service.CHECKS)
    if unknown:
        typer.secho(
            f"Unknown service(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(health_service.CHECKS)}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    results = health_service.check_services(_resources(only_looks=True), only or None, timeout)
    failed = any(item.failing or (strict and item.state == "degraded") for item in results)
    if as_json:
        services = [
            {**asdict(item), "facts": dict(item.facts), "embedded": item.embedded} for item in results
        ]
        typer.echo(json.dumps({"ok": not failed, "services": services}, indent=2))
    for item in [] if as_json else results:
        latency = "—" if item.latency_ms is None else f"{item.latency_ms:.1f} ms"
        colour = {"up": typer.colors.GREEN, "down": typer.colors.RED}.get(item.state, typer.colors.YELLOW)
        line = f"{item.name:<9} {item.state:<15} {item.backend:<13} {latency:>10}  {item.version:<22}"
        typer.secho(f"{line} {item.detail}", fg=colour)
    if failed:
        raise typer.Exit(1)


def main() -> None:
    app(prog_name="superinsight")


if __name__ == "__main__":
    main()
    sys.exit(0)
