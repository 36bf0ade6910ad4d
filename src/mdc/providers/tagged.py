"""Frames that are JSON or msgpack arrays of tagged messages (Alpaca's ``T``, Polygon's ``ev``).

The whole frame decodes in one call while every message is of a known type. A venue adding a
message type must not stop the stream, so a frame that fails validation is decoded again one
message at a time, the unknown types skipped (a known type that is malformed still raises: the
caller counts the bad frame).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Generic, TypeVar

import msgspec

M = TypeVar("M")


class TaggedFrames(Generic[M]):
    def __init__(
        self, message: Any, tag_field: str, known: Collection[str], *, msgpack: bool = False
    ) -> None:
        """``message``: the union of known message types; ``tag_field``: the key naming the
        type; ``known``: its values for the types in ``message``."""
        codec: Any = msgspec.msgpack if msgpack else msgspec.json
        self._frame = codec.Decoder(list[message])
        self._one = codec.Decoder(message)
        self._raws = codec.Decoder(list[msgspec.Raw])
        self._tag = codec.Decoder(msgspec.defstruct("Tag", [(tag_field, str, "")]))
        self._tag_field = tag_field
        self.known = frozenset(known)

    def decode(self, frame: bytes | str) -> list[M]:
        try:
            return self._frame.decode(frame)  # type: ignore[no-any-return]
        except msgspec.ValidationError:
            return [
                self._one.decode(raw)
                for raw in self._raws.decode(frame)
                if getattr(self._tag.decode(raw), self._tag_field) in self.known
            ]
