"""What a call to Label Studio may raise, apart from the client that raises it.

The health probes tell these apart; keeping them here lets a process that only checks
health skip importing httpx and the SDK's pieces when Label Studio is not connected.
"""

from __future__ import annotations

# Both kinds work (the adapter picks `Token` or `Bearer` as the SDK does): said wherever a key is asked for.
API_KEY_KIND = "a legacy API token or a personal access token, from Label Studio's Account & Settings"


class LabelStudioNotConnectedError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "Label Studio is not connected: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
            f"({API_KEY_KIND}) and restart the workbench."
        )


class LabelStudioError(RuntimeError):
    """Label Studio answered, but not with what the workbench asked for."""


class KeyRefusedError(LabelStudioError):
    """Label Studio answered and refused the API key: the one failure the key itself explains."""
