"""QuantConnect Lean bridge: export the archive in Lean's on-disk format, import Lean data, and
a ``PythonData`` class for Lean algorithms reading the archive (see docs/lean.md)."""
