"""Label Studio labeling configs: the templates, and the allow-list every config must pass.

A config is rendered by Label Studio in every annotator's browser, so a hostile one
(a script, an event handler, a `javascript:` link, an entity bomb) would run there.
Rather than chasing bad spellings, the config is parsed with defusedxml and only
Label Studio's own labeling tags and attributes are kept; anything else is refused
with its name. What is sent is re-serialised from the parsed tree, so comments,
processing instructions and CDATA tricks the parser saw never reach Label Studio.
Pure: values in, values out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from superinsight.vocabulary import LABEL_TEMPLATES

MAX_LABEL_CONFIG = 100_000
MAX_CONFIG_ELEMENTS = 500
MAX_CONFIG_DEPTH = 20
MAX_CLASSES = 50
MAX_CLASS_LENGTH = 100
TEXT_KEY = "text"  # the task data key that holds a document's (masked) content

# Label Studio's labeling tags (labelstud.io/tags): no HTML, no HyperText (it renders task data as HTML).
ALLOWED_TAGS = frozenset(
    {
        "View", "Header", "Text", "Paragraphs", "Image", "Choices", "Choice", "Labels", "Label",
        "Rating", "TextArea", "Number", "DateTime", "Taxonomy", "Relations", "Relation", "Filter",
        "Collapse",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = frozenset(
    {
        "name", "toName", "value", "alias", "choice", "showInline", "required", "requiredMessage",
        "maxSubmissions", "placeholder", "rows", "editable", "perRegion", "perItem", "background",
        "hotkey", "selected", "hint", "size", "granularity", "min", "max", "step", "maxRating",
        "layout", "leaveParentChoices", "maxUsages", "showSubmitButton", "transcription",
        "displayMode", "skipDuplicates", "minWidth", "maxWidth", "allowEmpty", "zoom", "caseSensitive",
        "filterBy", "toLabelName",
    }
)  # fmt: skip
# Objects show task data: their value must name a data key ($text), never a literal address.
DATA_OBJECTS = frozenset({"Text", "Paragraphs", "Image"})
DANGEROUS_SCHEMES = ("javascript", "vbscript", "livescript", "data", "file", "blob", "filesystem")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_DATA_KEY = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$")


class LabelConfigError(ValueError):
    """The config was refused; the message names what is not allowed."""


def _unescaped(value: str) -> str:
    """The value as a browser might finally read it: entities decoded until stable, invisibles gone."""
    previous = None
    while previous != value:
        previous, value = value, html.unescape(value)
    value = unicodedata.normalize("NFKC", value)
    return "".join(c for c in value if not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf"))).lower()


def _check_value(tag: str, attribute: str, value: str) -> None:
    plain = _unescaped(value)
    scheme = _SCHEME.match(plain)
    if scheme and scheme.group(1) in DANGEROUS_SCHEMES:
        raise LabelConfigError(f"<{tag} {attribute}> may not hold a {scheme.group(1)}: address")
    if "<" in plain or "url(" in plain or "expression(" in plain:
        raise LabelConfigError(f"<{tag} {attribute}> may not hold markup or style code")
    if tag in DATA_OBJECTS and attribute == "value" and not _DATA_KEY.match(value):
        raise LabelConfigError(f"<{tag} value> must name a task field like $text, not {value[:40]!r}")


def _walk(element: Element, depth: int, seen: list[int]) -> None:
    seen[0] += 1
    if depth > MAX_CONFIG_DEPTH or seen[0] > MAX_CONFIG_ELEMENTS:
        raise LabelConfigError("the labeling config is too large or too deeply nested")
    tag = element.tag if isinstance(element.tag, str) else "?"
    if tag not in ALLOWED_TAGS:
        shown = tag.split("}")[-1]
        raise LabelConfigError(f"<{shown}> is not one of Label Studio's labeling tags allowed here")
    for attribute, value in element.attrib.items():
        if attribute not in ALLOWED_ATTRIBUTES:
            raise LabelConfigError(f"the attribute {attribute.split('}')[-1]!r} is not allowed on <{tag}>")
        _check_value(tag, attribute, value)
    for child in element:
        _walk(child, depth + 1, seen)


def check_label_config(config: str) -> str:
    """The config as it will be sent (re-serialised), or LabelConfigError naming what is not allowed."""
    if len(config) > MAX_LABEL_CONFIG:
        raise LabelConfigError(f"a labeling config may be at most {MAX_LABEL_CONFIG:,} characters")
    if re.search(r"<!\s*(doctype|entity)", config, re.I):
        raise LabelConfigError("labeling configs may not declare a DOCTYPE or entities")
    try:
        root = fromstring(config, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise LabelConfigError("labeling configs may not declare a DOCTYPE or entities") from None
    except ParseError as exc:
        raise LabelConfigError(f"the labeling config is not valid XML: {exc}") from None
    if root.tag != "View":
        raise LabelConfigError("a labeling config starts with <View>")
    _walk(root, 1, [0])
    if not any(child.tag in DATA_OBJECTS for child in root.iter()):
        raise LabelConfigError('a labeling config shows the document with <Text name=... value="$text"/>')
    return tostring(root, encoding="unicode")


NOUNS = {"class": "classes", "label": "labels"}  # what a person types, and more than one of them


def check_classes(classes: list[str], noun: str) -> list[str]:
    """The classes or labels a person typed: trimmed, none empty or repeated, a sensible number."""
    nouns = NOUNS[noun]
    cleaned = [c.strip() for c in classes if c.strip()]
    if not cleaned:
        raise LabelConfigError(f"type at least one {noun}")
    if len(cleaned) > MAX_CLASSES:
        raise LabelConfigError(f"at most {MAX_CLASSES} {nouns}")
    for name in cleaned:
        if len(name) > MAX_CLASS_LENGTH or any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
            raise LabelConfigError(f"{noun} {name[:40]!r} is too long or holds control characters")
    repeated = sorted({c for c in cleaned if cleaned.count(c) > 1})
    if repeated:
        raise LabelConfigError(f"{nouns} repeated: {', '.join(repeated)}")
    return cleaned


def _view(control: str, name: str, item: str, values: list[str], **extra: str) -> str:
    view = Element("View")
    SubElement(view, "Text", name=TEXT_KEY, value=f"${TEXT_KEY}")
    parent = SubElement(view, control, {"name": name, "toName": TEXT_KEY, **extra})
    for value in values:
        SubElement(parent, item, value=value)
    return tostring(view, encoding="unicode")


def template_config(template: str, classes: list[str] | None = None, custom: str = "") -> str:
    """The checked config for a template: classification, entities, sentiment, or a custom XML config."""
    if template not in LABEL_TEMPLATES:
        raise LabelConfigError(f"choose one of the templates: {', '.join(LABEL_TEMPLATES)}")
    if template == "classification":
        config = _view("Choices", "label", "Choice", check_classes(classes or [], "class"), choice="single")
    elif template == "entities":
        config = _view("Labels", "entities", "Label", check_classes(classes or [], "label"))
    elif template == "sentiment":
        config = _view("Choices", "sentiment", "Choice", ["positive", "neutral", "negative"], choice="single")
    else:
        config = custom
    return check_label_config(config)


def verdict_prediction(template: str, classes: list[str]) -> list[dict[str, object]] | None:
    """A rule's verdict as a pre-annotation: its matches get the first class (or "positive").

    Only choice templates have a single answer a rule can propose; None for the others.
    """
    if template == "classification" and classes:
        name, choice = "label", classes[0]
    elif template == "sentiment":
        name, choice = "sentiment", "positive"
    else:
        return None
    return [{"from_name": name, "to_name": TEXT_KEY, "type": "choices", "value": {"choices": [choice]}}]
