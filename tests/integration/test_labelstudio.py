"""The Label Studio adapter against a real Label Studio server."""

from __future__ import annotations

import pytest

from superinsight.adapters.labelstudio import (
    LabelStudioAnnotator,
    LabelStudioError,
    LabelStudioNotConnectedError,
    NotConnected,
)

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="positive"/><Choice value="negative"/></Choices>
</View>"""


def test_project_round_trip_with_an_annotation(label_studio: tuple[str, str]) -> None:
    url, token = label_studio
    annotator = LabelStudioAnnotator(url, token)
    annotator.ping()
    project_id = annotator.create_project("workbench test", CONFIG)
    try:
        task_ids = annotator.import_tasks(
            project_id, [{"data": {"text": "great product", "document_id": 7}}, {"data": {"text": "broken"}}]
        )
        assert len(task_ids) == 2
        from label_studio_sdk import LabelStudio

        LabelStudio(base_url=url, api_key=token).annotations.create(
            id=task_ids[0],
            result=[
                {
                    "from_name": "sentiment",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": ["positive"]},
                }
            ],
        )
        exported = {task["id"]: task for task in annotator.export_tasks(project_id)}
        assert set(exported) == set(task_ids)
        annotated = exported[task_ids[0]]
        assert annotated["data"]["document_id"] == 7
        assert annotated["annotations"][0]["result"][0]["value"] == {"choices": ["positive"]}
        assert exported[task_ids[1]]["annotations"] == []
    finally:
        annotator.delete_project(project_id)


def test_a_wrong_key_is_reported_as_refused(label_studio: tuple[str, str]) -> None:
    url, _ = label_studio
    with pytest.raises(LabelStudioError, match="API key was refused"):
        LabelStudioAnnotator(url, "0" * 40).ping()


def test_not_connected_says_how_to_connect() -> None:
    with pytest.raises(LabelStudioNotConnectedError, match="LABEL_STUDIO_URL"):
        NotConnected().create_project("x", CONFIG)
