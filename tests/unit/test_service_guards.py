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
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

import superinsight.services as services

GUARDS = {"superinsight.services.context.require", "superinsight.services.context.require_whole_tenant"}


def _service_functions(*, private: bool = False) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, "superinsight.services."):
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if inspect.isfunction(func) and func.__module__ == info.name and (private or name[0] != "_"):
                found[f"{info.name}.{name}"] = func
    return found


def _callees(func: Callable[..., Any]) -> set[str]:
    """Qualified names of the functions `func` calls, resolved through its module's own names."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(func))))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target, called = node.func, None
        if isinstance(target, ast.Name):
            called = func.__globals__.get(target.id)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            base = func.__globals__.get(target.value.id)
            called = getattr(base, target.attr, None) if isinstance(base, ModuleType) else None
        if inspect.isfunction(called):
            names.add(f"{called.__module__}.{called.__name__}")
    return names


def _guarded(functions: dict[str, Callable[..., Any]]) -> set[str]:
    """Functions that check an actor, directly or through another such function (a fixpoint)."""
    calls = {qualified: _callees(func) for qualified, func in functions.items()}
    guarded = set(GUARDS)
    changed = True
    while changed:
        changed = False
        for qualified, callees in calls.items():
            if qualified not in guarded and callees & guarded:
                guarded.add(qualified)
                changed = True
    return guarded


def _reachable(func: Callable[..., Any]) -> bool:
    """A page reaches services with resources and an actor; the CLI and workers with a tenant id."""
    parameters = inspect.signature(func).parameters
    return bool({"resources", "actor", "tenant_id"} & set(parameters)) and "session" not in parameters


def test_every_reachable_service_function_checks_its_actor_or_says_why_not() -> None:
    functions = _service_functions()
    reachable = {name: func for name, func in functions.items() if _reachable(func)}
    assert len(reachable) > 80, "the listing found too few service functions to mean anything"
    guarded = _guarded(_service_functions(private=True))
    unchecked = sorted(
        name
        for name, func in reachable.items()
        if name not in guarded and not getattr(func, "__internal__", None)
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

    functions = {f"{unchecked.__module__}.unchecked": unchecked}
    assert _reachable(unchecked)
    assert f"{unchecked.__module__}.unchecked" not in _guarded(functions)
