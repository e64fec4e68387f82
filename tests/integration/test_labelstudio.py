"""The Label Studio adapter against a real Label Studio server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from superinsight.adapters.labelstudio import LabelStudioAnnotator
from superinsight.adapters.labelstudio_absent import NotConnected
from superinsight.adapters.labelstudio_errors import LabelStudioError, LabelStudioNotConnectedError
from tests.servers import THIS_CHECKOUT

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
    with pytest.raises(LabelStudioError, match=r"API key was refused \(HTTP 401\)"):
        LabelStudioAnnotator(url, "0" * 40).ping()


# A fresh process, as `superinsight health` is: which of the SDK's modules do ping and version load?
PING_ONLY = """
import json, sys
from superinsight.adapters.labelstudio import LabelStudioAnnotator
from superinsight.adapters.labelstudio_errors import LabelStudioError
url, token = sys.argv[1:]
annotator = LabelStudioAnnotator(url, token)
annotator.ping()
release = annotator.version()
try:
    LabelStudioAnnotator(url, "0" * 40).ping()
    refused = ""
except LabelStudioError as exc:
    refused = str(exc)
loaded = sorted(name for name in sys.modules if name.startswith("label_studio_sdk"))
print(json.dumps({"release": release, "refused": refused, "loaded": loaded}))
"""


def test_ping_and_version_do_not_import_the_sdk_client(label_studio: tuple[str, str]) -> None:
    url, token = label_studio
    run = subprocess.run(
        [sys.executable, "-c", PING_ONLY, url, token],
        env={**os.environ, **THIS_CHECKOUT},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["release"].startswith("1.")
    assert answer["refused"] == "the API key was refused (HTTP 401)"
    assert "label_studio_sdk.client" not in answer["loaded"]
    assert "label_studio_sdk.base_client" not in answer["loaded"]


def test_a_personal_access_token_is_exchanged_as_the_sdk_does(label_studio: tuple[str, str]) -> None:
    """A JWT key goes to /api/token/refresh/ for a Bearer token; once revoked, it is refused."""
    url, token = label_studio
    created = httpx.post(f"{url}/api/token/", headers={"Authorization": f"Token {token}"}, timeout=30)
    if created.status_code == 409:
        pytest.skip("this Label Studio's admin already has a personal access token (one at a time)")
    assert created.status_code == 201, created.text
    personal = created.json()["token"]
    try:
        annotator = LabelStudioAnnotator(url, personal)
        annotator.ping()
        exchanged = annotator._access
        annotator.ping()
        assert exchanged is not None and annotator._access is exchanged  # kept until it expires
        assert annotator.version().startswith("1.")
        assert "admin@example.com" in annotator.user_emails().values()  # the SDK's client, same key
    finally:
        revoked = httpx.post(f"{url}/api/token/blacklist/", json={"refresh": personal}, timeout=30)
        assert revoked.status_code == 204, revoked.text
    with pytest.raises(LabelStudioError, match=r"API key was refused \(HTTP 401\)"):
        LabelStudioAnnotator(url, personal).ping()


def test_not_connected_says_how_to_connect() -> None:
    with pytest.raises(LabelStudioNotConnectedError, match="LABEL_STUDIO_URL"):
        NotConnected().create_project("x", CONFIG)
