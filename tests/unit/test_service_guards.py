"""Every service function a page, the CLI or a job can reach checks its actor, or says why it need not.

A function counts as guarded when its body calls `require`/`require_whole_tenant`,
or calls (by name) a service function that is itself guarded; functions that take
a `Session` are data access inside a guarded call and cannot be reached from a
page (pages import no ORM: see test_layers). Pure functions, which take neither
`resources` nor `actor`, change nothing.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import superinsight.services as services

GUARDS = {"require", "require_whole_tenant"}


def _service_functions(*, private: bool = False) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, "superinsight.services."):
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if inspect.isfunction(func) and func.__module__ == info.name and (private or name[0] != "_"):
                found[f"{info.name}.{name}"] = func
    return found


def _called_names(func: Callable[..., Any]) -> set[str]:
    tree = ast.parse(inspect.getsource(inspect.unwrap(func)).lstrip())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(target.id if isinstance(target, ast.Name) else getattr(target, "attr", ""))
    return names


def _guarded(functions: dict[str, Callable[..., Any]]) -> set[str]:
    """Names of functions that check an actor, directly or through another such function (a fixpoint)."""
    calls = {qualified: _called_names(func) for qualified, func in functions.items()}
    guarded_names = set(GUARDS)
    changed = True
    while changed:
        changed = False
        for qualified, names in calls.items():
            short = qualified.rsplit(".", 1)[1]
            if short not in guarded_names and names & guarded_names:
                guarded_names.add(short)
                changed = True
    return guarded_names


def _reachable(func: Callable[..., Any]) -> bool:
    parameters = inspect.signature(func).parameters
    return ("resources" in parameters or "actor" in parameters) and "session" not in parameters


def test_every_reachable_service_function_checks_its_actor_or_says_why_not() -> None:
    functions = _service_functions()
    reachable = {name: func for name, func in functions.items() if _reachable(func)}
    assert len(reachable) > 80, "the listing found too few service functions to mean anything"
    guarded = _guarded(_service_functions(private=True))
    unchecked = sorted(
        name
        for name, func in reachable.items()
        if name.rsplit(".", 1)[1] not in guarded and not getattr(func, "__internal__", None)
    )
    assert unchecked == []


def test_every_internal_mark_gives_a_reason() -> None:
    marked = {
        name: func.__internal__
        for name, func in _service_functions().items()
        if hasattr(func, "__internal__")
    }
    assert marked, "no function is marked internal: the mark is not being found"
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in marked.values()), marked


def test_the_listing_catches_a_function_that_checks_nothing() -> None:
    def unchecked(resources: object, actor: object) -> None:
        return None

    functions = {"superinsight.services.example.unchecked": unchecked}
    assert _reachable(unchecked)
    assert "unchecked" not in _guarded(functions)
