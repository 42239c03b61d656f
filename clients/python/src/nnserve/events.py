"""A reader of server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html)
over a streamed `requests` response: yields (event name, parsed JSON data)."""
from __future__ import annotations

import codecs
import json
from typing import Iterable, Iterator, Tuple


def parse_events(chunks: Iterable[bytes]) -> Iterator[Tuple[str, object]]:
    # Chunks may split a UTF-8 character or a CRLF pair: decode incrementally, and keep a final CR
    # back until the next chunk shows whether an LF follows it.
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    buffer, pending = "", ""
    for chunk in chunks:
        if not chunk:
            continue
        text = pending + decoder.decode(chunk)
        pending = "\r" if text.endswith("\r") else ""
        if pending:
            text = text[:-1]
        buffer += text.replace("\r\n", "\n").replace("\r", "\n")
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            name, data = "message", []
            for line in block.split("\n"):
                if line.startswith(":"):
                    continue  # a comment, such as a keep-alive
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if data:
                text = "\n".join(data)
                try:
                    yield name, json.loads(text)
                except ValueError:
                    yield name, text
