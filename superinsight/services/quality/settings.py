"""A source's quality settings: expectations and dimension weights, each change audited."""

from __future__ import annotations

from typing import Any

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.quality.expectations import ExpectationError, Expectations, parse, parse_weights
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.inputs import unstorable
from superinsight.services.scoping import visible_source


def quality_source(
    resources: Resources, actor: Actor, source_id: int
) -> tuple[str, Expectations, dict[str, float]]:
    require(actor, "documents.view")
    with resources.uow() as uow:
        source = visible_source(uow.session, actor, source_id)
        try:
            expectations = parse(source.expectations)
        except ExpectationError as exc:
            raise InvalidInputError(f"the expectations of {source.name} are broken: {exc}") from None
        return source.name, expectations, {k: float(v) for k, v in source.quality_weights.items()}


def expectations(resources: Resources, actor: Actor, source_id: int) -> dict[str, Any]:
    """The source's stored expectations, as the editor shows them."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        source = visible_source(uow.session, actor, source_id)
        stored = dict(source.expectations)
        mask = masker(resources, uow.session, actor)
    if not mask.active:
        return stored
    # Allowed values and ranges quote the data: the actor sees them as masking lets them.
    allowed = {
        key: [mask.value("metadata", {key: value})[key] for value in values]
        for key, values in dict(stored.get("allowed") or {}).items()
    }
    ranges = {
        key: bounds
        for key, bounds in dict(stored.get("ranges") or {}).items()
        if not mask.hides_metadata(key)
    }
    return (
        stored
        | ({"allowed": allowed} if "allowed" in stored else {})
        | ({"ranges": ranges} if "ranges" in stored else {})
    )


def _store_setting(
    resources: Resources, actor: Actor, source_id: int, attribute: str, value: dict[str, Any]
) -> None:
    """Save one of the source's quality settings, with its audit entry (before and after)."""
    if problem := unstorable(value):
        raise InvalidInputError(f"the {attribute.replace('_', ' ')}: a value {problem}")
    with resources.uow() as uow:
        source = visible_source(uow.session, actor, source_id)
        audit.record(
            uow.session,
            actor,
            f"source.{attribute}",
            "data_source",
            source_id,
            before=dict(getattr(source, attribute)),
            after=value,
        )
        setattr(source, attribute, value)
        uow.commit()


def set_expectations(resources: Resources, actor: Actor, source_id: int, raw: dict[str, Any]) -> Expectations:
    """Store what the source's documents should look like; refused whole if any part is wrong."""
    require(actor, "sources.manage")
    try:
        parsed = parse(raw)
    except ExpectationError as exc:
        raise InvalidInputError(str(exc)) from None
    _store_setting(resources, actor, source_id, "expectations", raw)
    return parsed


def weights(resources: Resources, actor: Actor, source_id: int) -> dict[str, float]:
    """How much each dimension counts in the source's overall score (missing: 1)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        source = visible_source(uow.session, actor, source_id)
        return {name: float(source.quality_weights.get(name, 1.0)) for name in DIMENSIONS}


def set_weights(resources: Resources, actor: Actor, source_id: int, raw: dict[str, Any]) -> dict[str, float]:
    require(actor, "sources.manage")
    try:
        parsed = parse_weights(raw)
    except ExpectationError as exc:
        raise InvalidInputError(str(exc)) from None
    _store_setting(resources, actor, source_id, "quality_weights", parsed)
    return parsed
