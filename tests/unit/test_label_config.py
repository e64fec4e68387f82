"""Labeling configs: only Label Studio's labeling tags and attributes pass, whatever the spelling."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.labeling.config import (
    ALLOWED_TAGS,
    LabelConfigError,
    check_classes,
    check_label_config,
    template_config,
)
from superinsight.vocabulary import LABEL_TEMPLATES

GOOD = (
    '<View><Text name="text" value="$text" />'
    '<Choices name="c" toName="text"><Choice value="a" /></Choices></View>'
)


def _wrap(inner: str) -> str:
    return f'<View><Text name="text" value="$text"/>{inner}</View>'


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><View>&a;</View>', "DOCTYPE or entities"),
        ('<!doctype View SYSTEM "file:///etc/passwd"><View/>', "DOCTYPE or entities"),
        ("<! DOCTYPE x><View/>", "DOCTYPE or entities"),
        (_wrap("<script>alert(1)</script>"), "<script> is not one of"),
        (_wrap("<SCRIPT>alert(1)</SCRIPT>"), "<SCRIPT> is not one of"),
        (_wrap('<x:script xmlns:x="http://www.w3.org/1999/xhtml">1</x:script>'), "<script> is not one of"),
        (_wrap('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'), "<svg> is not one of"),
        (_wrap('<base href="https://evil.example/"/>'), "<base> is not one of"),
        (_wrap('<meta http-equiv="refresh" content="0;url=https://evil.example"/>'), "<meta> is not one of"),
        (_wrap("<iframe/>"), "<iframe> is not one of"),
        (_wrap("<HyperText name='h' value='$text'/>"), "<HyperText> is not one of"),
        (_wrap("<Style>.x{background:url(https://evil.example)}</Style>"), "<Style> is not one of"),
        (_wrap("<text name='t' value='$text'/>"), "<text> is not one of"),
        ('<View><Text name="text" value="$text" onclick="steal()"/></View>', "'onclick' is not allowed"),
        ('<View><Text name="text" value="$text" ONLOAD="steal()"/></View>', "'ONLOAD' is not allowed"),
        ('<View><Text name="text" value="$text" style="x"/></View>', "'style' is not allowed"),
        (
            '<View xmlns:xl="http://www.w3.org/1999/xlink">'
            '<Text name="text" value="$text" xl:href="x"/></View>',
            "'href' is not allowed",
        ),
        (
            _wrap('<Choices name="c" toName="text"><Choice value="javascript:alert(1)"/></Choices>'),
            "javascript:",
        ),
        (_wrap('<Choices name="c" toName="text"><Choice value=" JaVaScRiPt:x"/></Choices>'), "javascript:"),
        (
            _wrap('<Choices name="c" toName="text"><Choice value="java&#x09;script:x"/></Choices>'),
            "javascript:",
        ),
        (
            _wrap('<Choices name="c" toName="text"><Choice value="java&#8203;script:x"/></Choices>'),
            "javascript:",
        ),
        (
            _wrap('<Choices name="c" toName="text"><Choice value="&amp;#106;avascript:x"/></Choices>'),
            "javascript:",
        ),
        (
            _wrap('<Choices name="c" toName="text"><Choice value="\uff4a\uff41vascript:x"/></Choices>'),
            "javascript:",
        ),
        (_wrap('<Choices name="c" toName="text"><Choice value="vbscript:x"/></Choices>'), "vbscript:"),
        (_wrap('<Header value="data:text/html;base64,PHNjcmlwdD4="/>'), "data:"),
        (_wrap('<Header value="&lt;img src=x onerror=alert(1)&gt;"/>'), "markup or style"),
        ('<View><Image name="i" value="https://evil.example/x.png"/></View>', "must name a task field"),
        ('<View><Image name="i" value="data:image/png;base64,AAAA"/></View>', "data:"),
        ("<View><Header value='x'/></View>", "shows the document"),
        ("<Text/>", "starts with <View>"),
        ("<View>", "not valid XML"),
        ("<View>" + "<View>" * 30 + "</View>" * 30 + "</View>", "too large or too deeply nested"),
        (_wrap('<Header value="h"/>' * 600), "too large or too deeply nested"),
        ("<View>" + "x" * 100_001 + "</View>", "at most 100,000 characters"),
    ],
)
def test_unsafe_label_configs_are_refused(config: str, message: str) -> None:
    with pytest.raises(LabelConfigError, match=message):
        check_label_config(config)


def test_a_plain_label_config_passes_as_it_was() -> None:
    assert check_label_config(GOOD) == GOOD


def test_comments_and_processing_instructions_are_not_sent_on() -> None:
    sent = check_label_config(f"<?xml-stylesheet href='https://evil.example/x.xsl'?><!-- hi -->{GOOD}")
    assert "xml-stylesheet" not in sent and "hi" not in sent
    assert sent == GOOD


def test_templates_escape_what_is_typed_and_pass_their_own_check() -> None:
    config = template_config("classification", ['a"b', "5 > 3", "spam & eggs"])
    root = fromstring(config)
    assert [c.get("value") for c in root.iter("Choice")] == ['a"b', "5 > 3", "spam & eggs"]
    with pytest.raises(LabelConfigError, match="markup"):
        template_config("classification", ["<script>alert(1)</script>"])


@pytest.mark.parametrize("template", LABEL_TEMPLATES)
def test_every_template_makes_a_config_with_the_document_text(template: str) -> None:
    config = template_config(template, ["spam", "ham"], custom=GOOD)
    root = fromstring(config)
    assert root.find("Text") is not None and root.find("Text").get("value") == "$text"  # type: ignore[union-attr]


def test_entities_template_uses_labels() -> None:
    root = fromstring(template_config("entities", ["PERSON", "ORG"]))
    assert [label.get("value") for label in root.iter("Label")] == ["PERSON", "ORG"]


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([], "at least one"),
        (["  ", ""], "at least one"),
        (["a", "a"], "^classes repeated: a$"),
        (["x" * 101], "too long"),
        (["a\x00b"], "control characters"),
        ([f"c{i}" for i in range(51)], "^at most 50 classes$"),
    ],
)
def test_bad_classes_are_refused(classes: list[str], message: str) -> None:
    with pytest.raises(LabelConfigError, match=message):
        check_classes(classes, "class")


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(LabelConfigError, match="choose one of the templates"):
        template_config("audio", ["a"])


@given(st.text(max_size=300))
def test_any_config_text_is_refused_cleanly_or_accepted(config: str) -> None:
    try:
        sent = check_label_config(config)
    except LabelConfigError as exc:
        assert str(exc)
    else:
        assert {element.tag for element in fromstring(sent).iter()} <= ALLOWED_TAGS


@given(st.lists(st.text(max_size=30), max_size=8))
def test_typed_classes_never_make_a_config_that_fails_its_own_check(classes: list[str]) -> None:
    try:
        config = template_config("classification", classes)
    except LabelConfigError as exc:
        assert str(exc)
    else:
        values = [c.get("value") for c in fromstring(config).iter("Choice")]
        assert values == [c.strip() for c in classes if c.strip()]
