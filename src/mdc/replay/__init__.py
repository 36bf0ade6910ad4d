"""Replay: the archive's events of a time range, merged in ``ts_event`` order across types and
symbols, streamed (constant memory) to stdout, a JSONL file or a local WebSocket
(docs/replay.md)."""
