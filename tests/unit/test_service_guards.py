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
from superinsight.resources import Resources
from superinsight.services.context import Actor, system_actor
from superinsight.services.rules import views as rule_views

GUARDS = {"superinsight.services.context.require", "superinsight.services.context.require_whole_tenant"}


def _service_functions(*, private: bool = False) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, "superinsight.services."):
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if inspect.isfunction(func) and func.__module__ == info.name and (private or name[0] != "_"):
                found[f"{info.name}.{name}"] = func
    return found


def _is_system_actor(node: ast.AST, bound: set[str]) -> bool:
    """`system_actor(...)` itself, or a name the function bound to one."""
    if isinstance(node, ast.Name):
        return node.id in bound
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "system_actor"


def _callees(func: Callable[..., Any]) -> set[str]:
    """Qualified names of the functions `func` calls, resolved through its module's own names.

    A call made as the system actor checks nothing about the caller, so it is not counted.
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(func))))
    bound = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_system_actor(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if any(_is_system_actor(arg, bound) for arg in [*node.args, *(kw.value for kw in node.keywords)]):
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


def test_a_guarded_call_made_as_the_system_actor_does_not_guard_its_caller() -> None:
    def as_system(resources: Resources, actor: Actor) -> None:
        system = system_actor(actor.tenant_id)
        rule_views.list_rules(resources, system)

    def inline(resources: Resources, actor: Actor) -> None:
        rule_views.list_rules(resources, actor=system_actor(actor.tenant_id))

    def as_caller(resources: Resources, actor: Actor) -> None:
        rule_views.list_rules(resources, actor)

    functions = _service_functions(private=True)
    for probe in (as_system, inline, as_caller):
        functions[f"{probe.__module__}.{probe.__name__}"] = probe
    guarded = _guarded(functions)
    assert f"{__name__}.as_caller" in guarded
    assert f"{__name__}.as_system" not in guarded and f"{__name__}.inline" not in guarded
