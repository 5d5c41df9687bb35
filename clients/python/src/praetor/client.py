"""The Python client of praetord: sandboxes (exec, streamed exec, sessions, files, archives,
freeze/thaw), the event stream, and the environment protocol. Standard library only."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from .errors import PraetorError
from .results import ExecEvent, ExecResult, camel
from .transport import Transport, path_segment

Command = Union[str, List[str]]


def _exec_body(command: Command, cwd: Optional[str], env: Optional[Dict[str, str]], timeout_ms: Optional[int], stdin: Optional[str]) -> Dict[str, Any]:
    body: Dict[str, Any] = {"command": command if isinstance(command, str) else list(command)}
    if cwd is not None:
        body["cwd"] = cwd
    if env is not None:
        body["env"] = env
    if timeout_ms is not None:
        body["timeoutMs"] = timeout_ms
    if stdin is not None:
        body["stdin"] = stdin
    return body


class Session:
    """A persistent bash in a sandbox: ``cd`` and ``export`` carry from one command to the next."""

    def __init__(self, transport: Transport, sandbox_id: str, session_id: str) -> None:
        self._t = transport
        self.sandbox_id = sandbox_id
        self.id = session_id

    def _base(self) -> str:
        return f"/v1/sandboxes/{path_segment(self.sandbox_id)}/sessions/{path_segment(self.id)}"

    def exec(self, command: str, timeout_ms: Optional[int] = None) -> ExecResult:
        body: Dict[str, Any] = {"command": command}
        if timeout_ms is not None:
            body["timeoutMs"] = timeout_ms
        return ExecResult.from_json(self._t.json("POST", f"{self._base()}/exec", body=body))

    def close(self) -> None:
        self._t.json("DELETE", self._base())

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Files:
    def __init__(self, sandbox: "Sandbox") -> None:
        self._s = sandbox

    def read(self, path: str) -> bytes:
        return self._s._t.bytes("GET", f"{self._s._base()}/files", query={"path": path})

    def write(self, path: str, data: Union[bytes, str]) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self._s._t.json("PUT", f"{self._s._base()}/files", query={"path": path}, raw=raw)

    def list(self, path: str = "/workspace") -> List[Dict[str, Any]]:
        return self._s._t.json("GET", f"{self._s._base()}/files/list", query={"path": path})["entries"]


class Archive:
    def __init__(self, sandbox: "Sandbox") -> None:
        self._s = sandbox

    def upload(self, directory: str, tar: bytes) -> None:
        """Unpacks a tar (or tar.gz) into ``directory`` (inside /workspace or /tmp)."""
        self._s._t.json("PUT", f"{self._s._base()}/archive", query={"path": directory}, raw=tar, content_type="application/x-tar")

    def download(self, directory: str = "/workspace") -> bytes:
        return self._s._t.bytes("GET", f"{self._s._base()}/archive", query={"path": directory})


class Sandbox:
    """One guarded sandbox. Use as a context manager to destroy it on exit."""

    def __init__(self, transport: Transport, record: Dict[str, Any]) -> None:
        self._t = transport
        self.record = record
        self.files = Files(self)
        self.archive = Archive(self)

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def state(self) -> str:
        return self.record.get("state", "running")

    def _base(self) -> str:
        return f"/v1/sandboxes/{path_segment(self.id)}"

    def exec(self, command: Command, *, cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None, timeout_ms: Optional[int] = None, stdin: Optional[str] = None) -> ExecResult:
        """Runs ``command`` as the sandbox's next step (a string runs with bash, a list is an argv)."""
        return ExecResult.from_json(self._t.json("POST", f"{self._base()}/exec", body=_exec_body(command, cwd, env, timeout_ms, stdin)))

    def exec_stream(self, command: Command, *, cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None, timeout_ms: Optional[int] = None, stdin: Optional[str] = None) -> Iterator[ExecEvent]:
        """The same, as events while it runs; the last is ``exit`` with the result."""
        stream = self._t.events("POST", f"{self._base()}/exec/stream", body=_exec_body(command, cwd, env, timeout_ms, stdin))
        try:
            for e in stream:
                data = json.loads(e.data)
                if e.event in ("stdout", "stderr"):
                    yield ExecEvent(e.event, data.get("data", ""))
                elif e.event in ("alert", "action"):
                    yield ExecEvent(e.event, data)
                elif e.event == "exit":
                    result = ExecResult.from_json(data)
                    yield ExecEvent("exit", data, result)
                    return
                elif e.event == "error":
                    raise PraetorError(0, data.get("code", "exec-failed"), data.get("message", "the step failed"))
            raise PraetorError(0, "stream-ended", "the exec stream ended before the command exited")
        finally:
            stream.close()

    def session(self, cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> Session:
        body: Dict[str, Any] = {}
        if cwd is not None:
            body["cwd"] = cwd
        if env is not None:
            body["env"] = env
        answer = self._t.json("POST", f"{self._base()}/sessions", body=body)
        return Session(self._t, self.id, answer["session"])

    def refresh(self) -> Dict[str, Any]:
        self.record = self._t.json("GET", self._base())
        return self.record

    def freeze(self) -> Dict[str, Any]:
        self.record = self._t.json("POST", f"{self._base()}/freeze")
        return self.record

    def thaw(self) -> Dict[str, Any]:
        self.record = self._t.json("POST", f"{self._base()}/thaw")
        return self.record

    def destroy(self) -> None:
        self._t.json("DELETE", self._base())

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.destroy()
        except PraetorError as err:
            if err.status != 404:
                raise


class Sandboxes:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(self, *, workspace_tar: Optional[bytes] = None, **options: Any) -> Sandbox:
        """Options as the API names them, in either spelling: ``cpus``, ``memory="1g"``,
        ``allow_domains=[...]``, ``env={...}``, ``guard_mode="block"``; ``workspace_tar`` is the
        bytes of a tar unpacked into /workspace."""
        body = camel(options)
        if workspace_tar is not None:
            body["workspaceTar"] = base64.b64encode(workspace_tar).decode("ascii")
        return Sandbox(self._t, self._t.json("POST", "/v1/sandboxes", body=body))

    def list(self) -> List[Dict[str, Any]]:
        return self._t.json("GET", "/v1/sandboxes")["sandboxes"]

    def get(self, sandbox_id: str) -> Sandbox:
        return Sandbox(self._t, self._t.json("GET", f"/v1/sandboxes/{path_segment(sandbox_id)}"))


class Env:
    """One environment of the protocol (make, reset, step, close), with the daemon's JSON answers."""

    def __init__(self, transport: Transport, env_id: str) -> None:
        self._t = transport
        self.id = env_id

    def _base(self) -> str:
        return f"/v1/envs/{path_segment(self.id)}"

    def reset(self) -> Dict[str, Any]:
        return self._t.json("POST", f"{self._base()}/reset")

    def step(self, action: Dict[str, Any]) -> Dict[str, Any]:
        return self._t.json("POST", f"{self._base()}/step", body={"action": action})

    def close(self) -> None:
        self._t.json("DELETE", self._base())


class Envs:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(self, task: Dict[str, Any]) -> Env:
        """Registers a task (id, instruction, setup, verifier, budgets, sandbox options)."""
        return Env(self._t, self._t.json("POST", "/v1/envs", body={"task": task})["id"])


class Praetor:
    """A client of praetord. ``host``: ``unix:/path`` or ``http(s)://host:port`` (default
    ``PRAETOR_HOST``, else the default socket); ``api_key``: default ``PRAETOR_API_KEY``."""

    def __init__(self, host: Optional[str] = None, api_key: Optional[str] = None, timeout: Optional[float] = None) -> None:
        self.transport = Transport(host, api_key, timeout)
        self.sandboxes = Sandboxes(self.transport)
        self.envs = Envs(self.transport)

    def events(self, sandbox: Optional[str] = None, types: Optional[Iterable[str]] = None) -> Iterator[Dict[str, Any]]:
        """Alerts, guard actions, network decisions, steps and sandbox lifecycle as they happen
        (``{type, sandbox, step, time, data}``), for what this key may see. Blocks between events;
        close the iterator (or break out of the loop) to stop."""
        query = {"sandbox": sandbox, "types": ",".join(types) if types is not None else None}
        stream = self.transport.events("GET", "/v1/events", query=query)
        try:
            for e in stream:
                try:
                    event = json.loads(e.data)
                except ValueError:
                    continue
                event.setdefault("type", e.event)
                yield event
        finally:
            stream.close()

    def healthy(self) -> bool:
        try:
            self.transport.json("GET", "/healthz")
            return True
        except PraetorError:
            return False

    def create_key(self, name: str, scope: str, quotas: Optional[Dict[str, int]] = None) -> Dict[str, Any]:
        """Admin scope: ``{id, key}``; the key is shown this once."""
        body: Dict[str, Any] = {"name": name, "scope": scope}
        if quotas is not None:
            body["quotas"] = quotas
        return self.transport.json("POST", "/v1/keys", body=body)

    def revoke_key(self, key_id: str) -> None:
        self.transport.json("DELETE", f"/v1/keys/{path_segment(key_id)}")

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Praetor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
