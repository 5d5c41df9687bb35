"""The daemon's answers as plain Python objects (fields as the API names them, in snake_case)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class ExecResult:
    """How a step ended, with the alerts it raised and what the guard did about them."""

    step: int
    exit_code: Optional[int]
    stdout: str
    stderr: str
    duration_ms: float
    timed_out: bool
    signal: Optional[str] = None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    alerts: List[Dict[str, Any]] = field(default_factory=list)
    actions: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "ExecResult":
        return cls(
            step=data["step"],
            exit_code=data.get("exitCode"),
            stdout=data.get("stdout", ""),
            stderr=data.get("stderr", ""),
            duration_ms=data.get("durationMs", 0.0),
            timed_out=data.get("timedOut", False),
            signal=data.get("signal"),
            stdout_truncated=data.get("stdoutTruncated", False),
            stderr_truncated=data.get("stderrTruncated", False),
            alerts=list(data.get("alerts", [])),
            actions=list(data.get("actions", [])),
        )


@dataclass
class ExecEvent:
    """One event of a streamed exec: ``stdout``/``stderr`` (``data`` is text), ``alert``,
    ``action`` (``data`` is the object), then ``exit`` (``result`` is the ExecResult)."""

    type: str
    data: Any = None
    result: Optional[ExecResult] = None


def camel(options: Dict[str, Any]) -> Dict[str, Any]:
    """``allow_domains`` -> ``allowDomains``: Python callers may use either spelling."""
    out = {}
    for key, value in options.items():
        head, *rest = key.split("_")
        out[head + "".join(p[:1].upper() + p[1:] for p in rest)] = value
    return out
