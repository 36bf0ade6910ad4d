"""Frames of tagged messages: decoded whole, or one by one past a type this version does not
know, in JSON and msgpack alike."""

from __future__ import annotations

from typing import Union

import msgspec
import pytest

from mdc.providers.tagged import TaggedFrames


class Ping(msgspec.Struct, tag_field="T", tag="p"):
    n: int


class Pong(msgspec.Struct, tag_field="T", tag="q"):
    text: str


Message = Union[Ping, Pong]  # noqa: UP007 - msgspec needs a runtime Union
FRAME = [{"T": "p", "n": 1}, {"T": "news", "headline": "new"}, {"T": "q", "text": "x"}]


@pytest.mark.parametrize("msgpack", [False, True])
def test_a_frame_decodes_whole_and_unknown_types_are_skipped(msgpack: bool) -> None:
    frames: TaggedFrames[Message] = TaggedFrames(Message, "T", {"p", "q"}, msgpack=msgpack)
    encode = msgspec.msgpack.encode if msgpack else msgspec.json.encode
    assert frames.decode(encode(FRAME[:1] + FRAME[2:])) == [Ping(1), Pong("x")]
    assert frames.decode(encode(FRAME)) == [Ping(1), Pong("x")]
    with pytest.raises(msgspec.ValidationError, match="Expected `int`"):
        frames.decode(encode([*FRAME, {"T": "p", "n": "not a number"}]))


class Agg(msgspec.Struct, tag_field="ev", tag="A"):
    n: int


def test_the_tag_key_is_the_callers() -> None:
    frames: TaggedFrames[Agg] = TaggedFrames(Agg, "ev", {"A"})
    assert frames.decode(b'[{"ev": "A", "n": 2}, {"ev": "XQ", "n": 3}]') == [Agg(2)]
