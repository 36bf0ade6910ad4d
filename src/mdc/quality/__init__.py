"""Data quality: completeness against exchange calendars, anomaly detection (live and batch),
reports and alerts (docs/quality.md)."""
