"""A name as one token of a dotted or colon-separated address (NATS subjects, Redis keys)."""

from __future__ import annotations

import re
from typing import Final

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_\-]")


def token(value: str) -> str:
    """``value`` with every character outside ``A-Za-z0-9_-`` percent-encoded (``%`` itself
    included), so ``.``, ``:``, ``*``, ``>`` and spaces never split or widen an address."""
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value) or "%"
