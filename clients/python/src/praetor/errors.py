"""What a failed call raises: the HTTP status and the daemon's error code, in one line."""

from __future__ import annotations

import json


class PraetorError(Exception):
    """An API call failed. ``status`` is 0 when the daemon could not be reached."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def error_from_response(status: int, body: bytes) -> PraetorError:
    """Bodies of failed calls are ``{"error": {"code", "message"}}``; anything else keeps its first line."""
    code = f"http-{status}"
    text = body.decode("utf-8", "replace").strip()
    message = text.splitlines()[0] if text else "no message"
    try:
        error = json.loads(text).get("error", {})
        code = error.get("code", code)
        message = error.get("message", message)
    except (ValueError, AttributeError):
        pass
    return PraetorError(status, code, message)
