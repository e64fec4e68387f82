"""monitoring/grafana-dashboard.json imports into Grafana and queries only series the code serves.

The series are not listed here: they are what `superinsight.adapters.metrics` records
into a fresh registry through the same calls the worker and the scheduler make, so a
metric renamed in the code, or a name or label the code does not export put in the
dashboard, fails a test. The PromQL is read by promql-parser (Prometheus's grammar).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args
from unittest import mock

import promql_parser as pq
import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.samples import Sample

from superinsight import vocabulary
from superinsight.adapters import metrics
from superinsight.adapters.jobs import function_name, run_with_progress
from superinsight.services.health import probes
from superinsight.services.rules.apply import apply_rule_job

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana-dashboard.json"
SCRAPE_CONFIG = ROOT / "monitoring" / "prometheus.yml"
COMPOSE = ROOT / "docker-compose.yml"

DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
TARGET_LABELS = {"job", "instance"}  # Prometheus adds them to every series it scrapes
UNITS = {"s", "ops", "short"}
GRID_COLUMNS = 24
# Grafana's own variables, and a value each can take, so that the PromQL parses.
BUILTIN_VARIABLES = {"__rate_interval": "1m", "__range": "6h", "__interval": "15s"}
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
LABEL_VALUES = re.compile(r"^label_values\((\w+)(\{.*\})?,\s*(\w+)\)$")
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")
EXACT = (pq.MatchOp.Equal, pq.MatchOp.NotEqual)  # their values are checked against the recorded ones

Series = dict[str, dict[str, set[str]]]  # series name -> label -> the values recorded


def load_dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def all_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those inside a collapsed row too."""
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def targets(dashboard: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (panel["title"], target) for panel in all_panels(dashboard) for target in panel.get("targets", [])
    ]


def variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in dashboard["templating"]["list"]}


def promql(text: str) -> str:
    """The query as Grafana sends it: its variables replaced (a dashboard's own ones match anything)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return BUILTIN_VARIABLES.get(name, ".*")

    return VARIABLE.sub(value, text)


def parse(text: str) -> pq.Expr:
    return pq.parse(promql(text))


def nodes(expr: pq.Expr) -> list[pq.Expr]:
    seen: list[pq.Expr] = []
    pq.walk(expr, seen.append)
    return seen


def selectors(expr: pq.Expr) -> list[pq.VectorSelector]:
    return [node for node in nodes(expr) if isinstance(node, pq.VectorSelector)]


def dashboard_selectors(dashboard: dict[str, Any]) -> Iterator[tuple[str, pq.VectorSelector]]:
    for title, target in targets(dashboard):
        for selector in selectors(parse(target["expr"])):
            yield title, selector


def _run(func: Any) -> None:
    with contextlib.suppress(RuntimeError):
        run_with_progress(func)


def _finishes() -> None:
    """A job that ends `finished`."""


def _fails() -> None:
    """A job that ends `failed`."""
    raise RuntimeError("boom")


@cache
def recorded_samples() -> tuple[Sample, ...]:
    """What a worker and a scheduler serve once each kind of event happened, from a registry of our own."""
    registry = CollectorRegistry()
    with mock.patch.object(metrics, "_metrics", metrics.instruments(registry)):
        _run(_finishes)  # as an RQ work horse runs a job, with its outcome
        _run(_fails)
        metrics.record_job(function_name(apply_rule_job), "finished", 1.5)  # a rule apply's kind
        for service in probes.CHECKS:
            for state in get_args(probes.State):
                metrics.record_probe(service, state, 0.01)
            metrics.record_probe(service, "down", None)  # no answer
        ended = [state for state in vocabulary.RUN_STATES if state not in ("queued", "running")]
        for outcome in ended:
            metrics.record_sync_rows(outcome, read=3, inserted=2, updated=1)
    registry.register(metrics._QueueDepth(lambda: {"superinsight": 0}))
    # The endpoint adds up the work horses' multiprocess files, which keep no `_created`.
    samples = (sample for family in registry.collect() for sample in family.samples)
    return tuple(sample for sample in samples if not sample.name.endswith("_created"))


@cache
def exported() -> Series:
    series: Series = {}
    for sample in recorded_samples():
        labels = series.setdefault(sample.name, {})
        for label, value in sample.labels.items():
            labels.setdefault(label, set()).add(value)
    return series


def _matches(matcher: pq.Matcher, value: str | None) -> bool:
    value = value or ""
    if matcher.op == pq.MatchOp.Equal:
        return value == matcher.value
    if matcher.op == pq.MatchOp.NotEqual:
        return value != matcher.value
    found = re.fullmatch(matcher.value, value) is not None
    return found if matcher.op == pq.MatchOp.Re else not found


def unmatched(selected: Iterable[pq.VectorSelector], samples: Iterable[Sample]) -> list[str]:
    """The selectors no sample satisfies (the labels Prometheus adds to a scrape are taken as matched)."""
    samples = list(samples)
    missing = []
    for selector in selected:
        own = [m for m in selector.matchers.matchers if m.name not in TARGET_LABELS]
        if not any(
            sample.name == selector.name and all(_matches(m, sample.labels.get(m.name)) for m in own)
            for sample in samples
        ):
            missing.append(selector.prettify())
    return missing


def labels_of(expr: pq.Expr) -> set[str]:
    """The labels the series an expression returns carry (the metric name aside)."""
    if isinstance(expr, pq.VectorSelector):
        return set(exported().get(expr.name, {})) | TARGET_LABELS
    if isinstance(expr, pq.MatrixSelector):
        return labels_of(expr.vector_selector)
    if isinstance(expr, pq.AggregateExpr):
        inner, modifier = labels_of(expr.expr), expr.modifier
        if modifier is None:
            return set()
        if modifier.type == pq.AggModifierType.By:
            return set(modifier.labels)
        return inner - set(modifier.labels)
    if isinstance(expr, pq.Call):
        vectors = [arg for arg in expr.args if not isinstance(arg, pq.NumberLiteral | pq.StringLiteral)]
        inner = labels_of(vectors[0]) if vectors else set()
        return inner - {"le"} if expr.func.name == "histogram_quantile" else inner
    if isinstance(expr, pq.BinaryExpr):
        if isinstance(expr.lhs, pq.NumberLiteral):
            return labels_of(expr.rhs)
        return labels_of(expr.lhs)
    if isinstance(expr, pq.ParenExpr | pq.UnaryExpr):
        return labels_of(expr.expr)
    return set()


def grouping_problems(expr: pq.Expr) -> list[str]:
    """`by`, `without`, `on` and `ignoring` naming a label the series they group do not have."""
    problems = []
    for node in nodes(expr):
        if isinstance(node, pq.AggregateExpr) and node.modifier is not None:
            have, grouping = labels_of(node.expr), node.modifier
            problems += [
                f"{node.op} {grouping}: no {label}" for label in grouping.labels if label not in have
            ]
        if isinstance(node, pq.BinaryExpr) and node.modifier and node.modifier.matching:
            have, matching = labels_of(node.lhs) & labels_of(node.rhs), node.modifier.matching
            problems += [f"{matching}: no {label}" for label in matching.labels if label not in have]
    return problems


def label_problems(selector: pq.VectorSelector) -> list[str]:
    known = exported().get(selector.name)
    if known is None:
        return [f"{selector.name} is not a series the worker or the scheduler serves"]
    problems = []
    for matcher in selector.matchers.matchers:
        if matcher.name in TARGET_LABELS:
            continue
        if matcher.name not in known:
            problems.append(f"{selector.name} has no label {matcher.name}")
        elif matcher.op in EXACT and matcher.value not in known[matcher.name]:
            problems.append(f"{selector.name}: {matcher.name} is never {matcher.value!r}")
    return problems


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return load_dashboard()


class TestImport:
    def test_is_an_exported_dashboard_that_asks_for_a_prometheus_datasource(
        self, dashboard: dict[str, Any]
    ) -> None:
        assert dashboard["title"] and dashboard["uid"] and dashboard["id"] is None
        assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
        (datasource,) = dashboard["__inputs"]
        assert datasource["name"] == "DS_PROMETHEUS"
        assert (datasource["type"], datasource["pluginId"]) == ("datasource", "prometheus")
        required = {(item["type"], item["id"]) for item in dashboard["__requires"]}
        assert {("grafana", "grafana"), ("datasource", "prometheus")} <= required
        used = {panel["type"] for panel in all_panels(dashboard) if panel["type"] != "row"}
        assert {("panel", kind) for kind in used} <= required

    def test_every_query_and_variable_uses_the_datasource_input(self, dashboard: dict[str, Any]) -> None:
        def datasources(node: Any) -> Iterator[Any]:
            if isinstance(node, dict):
                if "datasource" in node:
                    yield node["datasource"]
                for value in node.values():
                    yield from datasources(value)
            elif isinstance(node, list):
                for value in node:
                    yield from datasources(value)

        found = list(datasources({"panels": dashboard["panels"], "templating": dashboard["templating"]}))
        assert found and all(item == DATASOURCE for item in found)

    def test_panels_have_unique_ids_and_do_not_overlap_on_the_grid(self, dashboard: dict[str, Any]) -> None:
        panels = all_panels(dashboard)
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)) and all(isinstance(pid, int) for pid in ids)
        cells: dict[tuple[int, int], str] = {}
        for panel in panels:
            grid = panel["gridPos"]
            assert all(isinstance(grid[key], int) for key in "hwxy"), panel["title"]
            assert grid["w"] > 0 and grid["h"] > 0, panel["title"]
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                    cells[(x, y)] = panel["title"]

    def test_each_panel_has_a_title_a_description_a_unit_and_named_queries(
        self, dashboard: dict[str, Any]
    ) -> None:
        for panel in all_panels(dashboard):
            assert panel["title"].strip()
            if panel["type"] == "row":
                continue
            assert len(panel["description"]) > 30, panel["title"]
            assert panel["fieldConfig"]["defaults"]["unit"] in UNITS, panel["title"]
            refs = [target["refId"] for target in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), panel["title"]
            for target in panel["targets"]:
                assert target["expr"].strip() and target["legendFormat"].strip(), panel["title"]

    def test_uses_only_variables_it_defines(self, dashboard: dict[str, Any]) -> None:
        defined = set(variables(dashboard)) | set(BUILTIN_VARIABLES)
        texts = [target["expr"] for _, target in targets(dashboard)]
        texts += [variable["definition"] for variable in variables(dashboard).values()]
        used = {match.group(1) or match.group(2) for text in texts for match in VARIABLE.finditer(text)}
        assert used and used <= defined


class TestQueries:
    def test_the_recorded_registry_covers_every_instrument(self) -> None:
        """Each instrument got samples above: a new one must be recorded there too, or go unchecked."""
        registry = CollectorRegistry()
        families = {f.name for item in metrics.instruments(registry).values() for f in item.describe()}
        recorded = {name for name in exported()}
        for family in families:
            assert any(name.startswith(family) for name in recorded), family
        assert {"superinsight_jobs_total", "superinsight_job_duration_seconds_bucket"} <= recorded

    def test_every_query_parses_and_names_only_series_and_labels_the_code_exports(
        self, dashboard: dict[str, Any]
    ) -> None:
        for title, target in targets(dashboard):
            expr = parse(target["expr"])  # raises on what Prometheus would refuse
            problems = [p for selector in selectors(expr) for p in label_problems(selector)]
            problems += grouping_problems(expr)
            assert not problems, f"{title}: {problems}"

    def test_every_selector_matches_a_series_the_code_records(self, dashboard: dict[str, Any]) -> None:
        selected = [selector for _, selector in dashboard_selectors(dashboard)]
        assert selected
        assert not unmatched(selected, recorded_samples())

    def test_legends_name_labels_the_query_returns(self, dashboard: dict[str, Any]) -> None:
        for title, target in targets(dashboard):
            have = labels_of(parse(target["expr"]))
            wanted = set(LEGEND_LABEL.findall(target["legendFormat"]))
            assert wanted <= have, f"{title}: {target['legendFormat']} but the query returns {sorted(have)}"

    def test_variables_read_a_label_of_an_exported_series(self, dashboard: dict[str, Any]) -> None:
        for variable in variables(dashboard).values():
            match = LABEL_VALUES.match(variable["query"]["query"])
            assert match, variable["name"]
            name, _, label = match.groups()
            assert name in exported() and label in set(exported()[name]) | TARGET_LABELS

    def test_the_checks_catch_a_renamed_metric_and_a_label_it_lacks(self) -> None:
        expr = parse('sum by (kind) (rate(superinsight_job_total{outcome="failed"}[5m]))')
        assert label_problems(selectors(expr)[0]) == [
            "superinsight_job_total is not a series the worker or the scheduler serves"
        ]
        expr = parse('sum by (service) (rate(superinsight_jobs_total{state="down"}[5m]))')
        assert label_problems(selectors(expr)[0]) == ["superinsight_jobs_total has no label state"]
        assert grouping_problems(expr) == ["sum by (service): no service"]
        expr = parse('superinsight_probe_latency_seconds_bucket{le="5"}')  # the client writes 5.0
        (problem,) = label_problems(selectors(expr)[0])
        assert problem == "superinsight_probe_latency_seconds_bucket: le is never '5'"


def test_the_scrape_config_scrapes_the_ports_compose_serves_metrics_on() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    scraped: set[str] = set()
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            scraped.update(static["targets"])
        for dns in job.get("dns_sd_configs", []):
            scraped.update(f"{name}:{dns['port']}" for name in dns["names"])
    served = set()
    for name in ("worker", "scheduler"):
        command = services[name]["command"]
        port = command[command.index("--metrics-port") + 1]
        assert services[name]["expose"] == [port]
        served.add(f"{name}:{port}")
    assert scraped == served
