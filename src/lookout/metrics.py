"""Prometheus metrics: what the engine and the API count, in one place.

Labels carry only bounded values (check types, outcomes, pools, kinds), never a URL, a
monitor id or a team. Counters live in prometheus-client's default registry, so every part
of the process adds to the same ones; gauges that describe the running engine (queue
depth, runs in flight) are read from it when `/metrics` is scraped.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CHECK_RUNS = Counter(
    "lookout_check_runs_total", "Check runs stored, by check type and outcome.", ["check_type", "outcome"]
)
CHECK_DURATION = Histogram(
    "lookout_check_duration_seconds",
    "Wall time of a check run, by check type.",
    ["check_type"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
SCHEDULER_LAG = Histogram(
    "lookout_scheduler_lag_seconds",
    "How long after it was due a scheduled check started.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
BEHIND_SCHEDULE = Gauge(
    "lookout_engine_behind_schedule",
    "1 while the median lag of scheduled checks has been over 10 s for 3 whole minutes in a row.",
)
STATE_CHANGES = Counter("lookout_state_changes_total", "State changes recorded, by kind.", ["kind"])
WRITER_BATCH_SIZE = Histogram(
    "lookout_writer_batch_size",
    "Results stored per writer transaction.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
WRITER_BATCH_SECONDS = Histogram(
    "lookout_writer_batch_seconds",
    "Time to store one batch of results.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
WRITER_FAILURES = Counter("lookout_writer_failures_total", "Batches whose transaction failed.")
QUEUE_DEPTH = Gauge("lookout_queue_depth", "Jobs waiting to run, by location and pool.", ["location", "pool"])
RUNS_IN_FLIGHT = Gauge("lookout_runs_in_flight", "Check runs running now, by pool.", ["pool"])
NOTIFICATION_DELIVERIES = Counter(
    "lookout_notification_deliveries_total",
    "Notification delivery attempts, by channel and result (sent, retry, failed).",
    ["channel", "result"],
)
OUTBOX_BACKLOG = Gauge(
    "lookout_outbox_backlog",
    "Work the outbox has not done yet: state changes not fanned out, messages not yet sent.",
    ["kind"],
)
ENGINE_RUNNING = Gauge("lookout_engine_running", "1 while this process's engine runs.")
CHECK_PROCESSES = Gauge("lookout_check_processes", "Check processes running for this engine.")
CHECK_PROCESS_RUNS = Counter(
    "lookout_check_process_runs_total",
    "Checks sent to check processes, by how they came back (done, timed_out, crashed, lost).",
    ["result"],
)
