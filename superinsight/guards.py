"""Checks for Label Studio labeling configs, before anything is sent to Label Studio.

Pure, so it is tested exhaustively on its own. Connection addresses are checked
where sources connect, in `superinsight.sync.connectors.address`.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_LABEL_CONFIG = 100_000
MAX_CONFIG_ELEMENTS = 500
MAX_CONFIG_DEPTH = 20


class GuardError(ValueError):
    """The input was refused; the message says why."""


def check_label_config(config: str) -> str:
    """A Label Studio labeling config: one <View>, no DTDs or entities, no scripts or event handlers."""
    if len(config) > MAX_LABEL_CONFIG:
        raise GuardError(f"a labeling config may be at most {MAX_LABEL_CONFIG:,} characters")
    lowered = config.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise GuardError("labeling configs may not declare a DOCTYPE or entities")
    try:
        root = fromstring(config, forbid_dtd=True)
    except DefusedXmlException:
        raise GuardError("labeling configs may not declare a DOCTYPE or entities") from None
    except ParseError as exc:
        raise GuardError(f"the labeling config is not valid XML: {exc}") from None
    if root.tag != "View":
        raise GuardError("a labeling config starts with <View>")
    count = 0

    def walk(element: Element, depth: int) -> None:
        nonlocal count
        count += 1
        if depth > MAX_CONFIG_DEPTH or count > MAX_CONFIG_ELEMENTS:
            raise GuardError("the labeling config is too large or too deeply nested")
        if element.tag.lower() in ("script", "iframe", "object", "embed"):
            raise GuardError(f"<{element.tag}> is not allowed in a labeling config")
        for attribute, value in element.attrib.items():
            if attribute.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                raise GuardError(f"the attribute {attribute!r} is not allowed in a labeling config")
        for child in element:
            walk(child, depth + 1)

    walk(root, 1)
    return config
