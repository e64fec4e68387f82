"""Figures about a workspace's documents, cached until its documents change.

The key holds the documents clock (`writer.documents_version`), which every
writer moves, so a cached figure is served only while the documents it describes are
unchanged (exact if it was counted, the same estimate if it was one): a page render reads
it instead of grouping every document again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from superinsight.resources import Resources
from superinsight.services.context import Actor, internal
from superinsight.services.documents.writer import documents_version
from superinsight.services.scoping import reach_key

Figure = TypeVar("Figure")


@internal("called by views after their own check, with what they computed for that actor")
def cached_for_documents(
    resources: Resources,
    actor: Actor,
    name: str,
    compute: Callable[[], Figure],
    to_json: Callable[[Figure], Any],
    from_json: Callable[[Any], Figure],
    *,
    refresh: bool = False,
) -> Figure:
    """`compute()`, or what it returned for the same documents and the same reach of the actor.

    `refresh` computes again whatever is cached (a person asked for it).
    """
    scope = reach_key(actor)
    key = f"figures:{name}:{actor.tenant_id}:{scope}:{documents_version(resources, actor.tenant_id)}"
    if not refresh and (cached := resources.cache.get(key)) is not None:
        return from_json(cached)
    figure = compute()
    resources.cache.set(key, to_json(figure), resources.settings.cache_ttl_seconds)
    return figure
