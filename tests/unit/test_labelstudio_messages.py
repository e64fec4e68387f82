"""What a failed call to Label Studio says: the problem in words, never a Python dict or the key."""

from __future__ import annotations

import httpx
import pytest
from label_studio_sdk.core.api_error import ApiError

from superinsight.adapters.labelstudio import failure_message
from superinsight.adapters.labelstudio_errors import API_KEY_KIND


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {
                "detail": "Validation error",
                "validation_errors": {"label_config": ["bad <Choice>", "too long"]},
            },
            "Validation error — label_config: bad <Choice>; too long",
        ),
        ({"detail": "Not found."}, "Not found."),
        ({"title": ["This field may not be blank."]}, "{'title': ['This field may not be blank.']}"),
        ("Bad Gateway", "Bad Gateway"),
    ],
)
def test_a_refused_request_says_what_label_studio_said(body: object, said: str) -> None:
    message = failure_message(ApiError(status_code=400, body=body))
    assert message == f"Label Studio refused the request (HTTP 400): {said}"


def test_a_refused_key_says_which_keys_work() -> None:
    message = failure_message(ApiError(status_code=401, body={"detail": "Invalid token."}))
    assert (
        message == f"Label Studio refused the API key (HTTP 401): set LABEL_STUDIO_API_KEY to {API_KEY_KIND}"
    )
    assert "personal access token" in message


def test_an_unreachable_server_is_named_by_the_kind_of_failure() -> None:
    message = failure_message(httpx.ConnectError("[Errno 111] Connection refused"))
    assert (
        message == "Label Studio could not be reached (ConnectError); check LABEL_STUDIO_URL and the server"
    )
