"""Instruments across providers: one identity per instrument (``record.py``), the local
registry in the archive (``registry.py``, ``refresh.py``), watchlists (``watchlists.py``) and
index constituent lists (``indexes.py``). See docs/symbols.md."""
