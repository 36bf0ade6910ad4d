"""Beyond one machine: the WAL published to NATS JetStream, archive writers consuming it.

A collector's publisher tails its WAL and publishes each acknowledged record to the stream;
``mdc store`` writers pull from durable consumers into their own archive. docs/scaling.md has
the topology, the subject design and what each path guarantees. Needs ``mdc[nats]``.
"""
