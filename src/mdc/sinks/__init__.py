"""Downstream sinks: consumers of the collector's WAL, each with its own checkpointed position.

A sink reads acknowledged records with ``storage.tail.WalTail`` and records how far it got in
``_mdc/positions/sink-{name}.json`` (``storage.positions``), which keeps the WAL segments it has
not written yet. ``[[sinks]]`` in the config (docs/scaling.md, "Sinks"). The same sink can be
fed from a JetStream durable consumer instead (``mdc sink --from``, ``distributed/feed.py``):
then it has no store and no position, and the stream's acks take their place.
"""
