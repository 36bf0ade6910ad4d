"""Historical backfill: resumable jobs, the provider failover chain, calendar-aware gap finding,
the scheduler that runs inside ``mdc collect``, and the service API the dashboard calls.

``jobs.py`` (what to fetch, chunked, checkpointed), ``failover.py`` (which provider serves a
chunk), ``spool.py`` (a chunk reaches the archive only once complete), ``runner.py`` (one job,
chunk by chunk), ``calendar.py`` + ``gaps.py`` + ``archive.py`` (what is missing),
``cron.py`` + ``scheduler.py`` (when jobs run), ``service.py`` (plain-dict API).
"""
