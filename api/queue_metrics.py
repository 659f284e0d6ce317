"""Queue gauges for /metrics, read from the job table when Prometheus (or the agent) scrapes.

``invoiceflow_queue_jobs{status}`` counts jobs per procrastinate status (todo, doing, failed...);
``invoiceflow_queue_oldest_waiting_seconds`` is how long the oldest due job has waited: the alarm
signal for stuck or too few workers (docs/deploy-ec2.md, section 9). Every API replica reports
the same database-wide values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("invoiceflow.api")
STATUSES = ("todo", "doing", "failed", "aborted", "cancelled", "succeeded")


class QueueCollector(Collector):
    """Collects the queue gauges from ``overview()`` at scrape time."""

    def __init__(self, overview: Callable[[], tuple[dict[str, int], float]]) -> None:
        self._overview = overview

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Names only, so registering does not query the database."""
        yield GaugeMetricFamily("invoiceflow_queue_jobs", "", labels=["status"])
        yield GaugeMetricFamily("invoiceflow_queue_oldest_waiting_seconds", "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            counts, oldest = self._overview()
        except Exception:  # a scrape must still answer; the missing series is the signal
            log.warning("queue metrics unavailable", exc_info=True)
            return
        jobs = GaugeMetricFamily(
            "invoiceflow_queue_jobs", "Jobs in the queue by status", labels=["status"]
        )
        for status in sorted(set(STATUSES) | set(counts)):
            jobs.add_metric([status], float(counts.get(status, 0)))
        yield jobs
        yield GaugeMetricFamily(
            "invoiceflow_queue_oldest_waiting_seconds",
            "Seconds the oldest due job has waited for a worker (0 when none waits)",
            value=oldest,
        )
