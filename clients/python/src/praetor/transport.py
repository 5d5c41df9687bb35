"""HTTP to praetord over its unix socket or TCP, with the bearer key (http.client only).

``PRAETOR_HOST`` names the daemon (``unix:/path`` or ``http(s)://host:port``); without it the
default socket ``/run/praetor/praetord.sock`` is used. ``PRAETOR_API_KEY`` is the bearer key.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
from typing import Any, Iterator, Mapping
from urllib.parse import quote, urlencode, urlsplit

from .errors import PraetorError, error_from_response
from .sse import ServerEvent, read_events

DEFAULT_SOCKET = "/run/praetor/praetord.sock"
# Node's server closes an idle kept-alive connection after 5 s; a reused one older than this is
# replaced before it is used rather than after it fails.
_IDLE_REUSE_S = 4.0


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX stream socket."""

    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if self.timeout is not None:
                sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def parse_host(host: str | None) -> tuple[str, str, int | None, str]:
    """``(kind, address, port, prefix)``: kind is ``unix``, ``http`` or ``https``."""
    if not host:
        return ("unix", DEFAULT_SOCKET, None, "")
    if host.startswith("unix:"):
        path = host[len("unix:"):]
        if path.startswith("///"):
            path = path[2:]
        if not path.startswith("/"):
            raise PraetorError(0, "bad-host", f"not a socket path: {host!r}")
        return ("unix", path, None, "")
    if host.startswith("/"):
        return ("unix", host, None, "")
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PraetorError(0, "bad-host", f"not a daemon address: {host!r} (use unix:/path or http://host:port)")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


class Transport:
    """JSON calls, raw bytes and event streams. One kept-alive connection per thread."""

    def __init__(self, host: str | None = None, api_key: str | None = None, timeout: float | None = None) -> None:
        host = host if host is not None else os.environ.get("PRAETOR_HOST")
        self.kind, self.address, self.port, self.prefix = parse_host(host)
        self.api_key = api_key if api_key is not None else os.environ.get("PRAETOR_API_KEY")
        self.timeout = timeout
        self._local = threading.local()

    @property
    def host(self) -> str:
        return f"unix:{self.address}" if self.kind == "unix" else f"{self.kind}://{self.address}:{self.port}"

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.kind == "unix":
            return UnixHTTPConnection(self.address, timeout=timeout)
        if self.kind == "https":
            return http.client.HTTPSConnection(self.address, self.port, timeout=timeout, context=ssl.create_default_context())
        return http.client.HTTPConnection(self.address, self.port, timeout=timeout)

    def _headers(self, accept: str, content_type: str | None, length: int | None) -> dict[str, str]:
        headers = {"Accept": accept}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if length is not None:
            headers["Content-Length"] = str(length)
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _target(self, path: str, query: Mapping[str, Any] | None) -> str:
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        return self.prefix + path + (f"?{urlencode(pairs)}" if pairs else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, Any] | None = None,
        accept: str = "application/json",
    ) -> tuple[int, bytes]:
        """One call on this thread's kept-alive connection; returns ``(status, body)``."""
        payload = raw
        if payload is None and body is not None:
            payload = json.dumps(body).encode("utf-8")
            content_type = "application/json"
        elif payload is not None and content_type is None:
            content_type = "application/octet-stream"
        headers = self._headers(accept, content_type, len(payload) if payload is not None else None)
        target = self._target(path, query)
        for attempt in (0, 1):
            conn, reused = self._connection()
            try:
                conn.request(method, target, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                self._drop()
                # A kept-alive connection the server had closed: the request never reached it.
                if reused and attempt == 0:
                    continue
                raise PraetorError(0, "unreachable", f"praetord at {self.host}: {err}") from err
            except OSError as err:
                self._drop()
                raise PraetorError(0, "unreachable", f"praetord at {self.host}: {err}") from err
            self._local.last_used = time.monotonic()
            if response.will_close:
                self._drop()
            return response.status, data
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        status, data = self.request(method, path, **kwargs)
        if status < 200 or status >= 300:
            raise error_from_response(status, data)
        if status == 204 or not data:
            return None
        return json.loads(data.decode("utf-8"))

    def bytes(self, method: str, path: str, **kwargs: Any) -> bytes:
        status, data = self.request(method, path, accept="*/*", **kwargs)
        if status < 200 or status >= 300:
            raise error_from_response(status, data)
        return data

    def events(self, method: str, path: str, *, body: Any = None, query: Mapping[str, Any] | None = None) -> Iterator[ServerEvent]:
        """An event stream on a connection of its own, closed when the iterator is."""
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        headers = self._headers("text/event-stream", "application/json" if payload is not None else None, len(payload) if payload is not None else None)
        conn = self._connect(None)
        try:
            try:
                conn.request(method, self._target(path, query), body=payload, headers=headers)
                response = conn.getresponse()
            except OSError as err:
                raise PraetorError(0, "unreachable", f"praetord at {self.host}: {err}") from err
            if response.status < 200 or response.status >= 300:
                raise error_from_response(response.status, response.read())
            yield from read_events(response)
        finally:
            conn.close()

    def close(self) -> None:
        self._drop()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None and time.monotonic() - getattr(self._local, "last_used", 0.0) > _IDLE_REUSE_S:
            self._drop()
            conn = None
        if conn is None:
            conn = self._connect(self.timeout)
            self._local.conn = conn
            return conn, False
        return conn, True

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()


def path_segment(value: str) -> str:
    return quote(value, safe="")
