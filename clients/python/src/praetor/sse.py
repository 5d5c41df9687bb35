"""A small reader of server-sent events (the standard library has none)."""

from __future__ import annotations

from typing import BinaryIO, Iterator, NamedTuple


class ServerEvent(NamedTuple):
    event: str
    data: str
    id: str | None


def read_events(stream: BinaryIO) -> Iterator[ServerEvent]:
    """Yields each event of ``stream`` as it arrives; comments (keep-alives) are skipped."""
    event, data, event_id = "", [], None
    while True:
        raw = stream.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield ServerEvent(event or "message", "\n".join(data), event_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
