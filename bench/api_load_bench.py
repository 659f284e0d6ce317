"""API load and fault figures (docs/operations.md): sustained rate, 2x overload, DB restart.

    make bench-api            # or: python -m bench.api_load_bench --help

On a private stack (bench/load_stack.py: own PostgreSQL, one API process, N workers), an
open-loop generator offers a fixed request rate of a mix (health, invoice list, 100 KB PDF
upload) and measures each request from its scheduled start (so queueing counts):
  1. capacity: rising rates; the sustained rate is the highest whose every class keeps its p99
     under the goal with no error and >= 95 % of the offered rate served;
  2. overload: 2x that rate, first with the per-IP/per-user limit set to the sustained rate
     (excess must get 429 + Retry-After, no 5xx), then with no limit (pure queueing);
     every upload answered 201 must be in the database and processed by the workers;
  3. database restart at half the sustained rate: errors while it is down, time until the API
     answers again and until /ready is green, and that no accepted upload is lost.
Figures are printed (and written to bench/out/api_load.json), never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.load_report import Sample, print_phase, summarize
from bench.load_stack import Stack

GOALS_MS = {"health": 100.0, "list": 100.0, "upload": 250.0}
MIX = {"health": 0.2, "list": 0.5, "upload": 0.3}
PDF_BYTES = 100 * 1024
OUT = Path(__file__).resolve().parent / "out" / "api_load.json"


@functools.cache
def _bases() -> tuple[list[bytes], bytes]:
    """Eight text-layer invoices and a padding block, made once (reportlab is slow)."""
    from core.demo.synthetic_invoices import generate_invoice

    rng = random.Random(7)
    noise = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=PDF_BYTES))
    padding = "\n".join("%" + noise[j : j + 78] for j in range(0, len(noise), 78)).encode()
    return [generate_invoice(7000 + i, kind="pdf").data for i in range(8)], padding


def unique_pdf(i: int) -> bytes:
    """A distinct ~100 KB PDF (a comment after %%EOF makes it unique and keeps it valid)."""
    bases, padding = _bases()
    base = bases[i % len(bases)]
    return base + f"\n%bench-{uuid.uuid4()}\n".encode() + padding[: max(64, PDF_BYTES - len(base))]


class Load:
    """One signed-in user of one client, and the request kinds of the mix."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.uploads = stack, 0
        self.client = httpx.AsyncClient(
            base_url=stack.api_url,
            timeout=30.0,
            limits=httpx.Limits(max_connections=400, max_keepalive_connections=400),
        )
        self.token = ""
        self.client_id = ""
        self.accepted: list[str] = []

    async def sign_in(self) -> None:
        creds = {
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
            "password": "x" * 16 + "1Aa!",
        }
        r = await self.client.post("/api/v1/auth/sign-up", json=creds)  # 202, no tokens
        r.raise_for_status()
        r = await self.client.post("/api/v1/auth/sign-in", json=creds)
        r.raise_for_status()
        self.token = r.json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        r = await self.client.post("/api/v1/clients", json={"name": "Bench GmbH"})
        r.raise_for_status()
        self.client_id = r.json()["id"]

    async def one(self, kind: str, scheduled: float) -> Sample:
        try:
            if kind == "health":
                r = await self.client.get("/api/v1/health")
            elif kind == "list":
                r = await self.client.get("/api/v1/invoices", params={"limit": 50})
            else:
                self.uploads += 1
                data = unique_pdf(self.uploads)
                files = [("files", (f"{uuid.uuid4().hex}.pdf", data, "application/pdf"))]
                r = await self.client.post(f"/api/v1/clients/{self.client_id}/uploads", files=files)
                if r.status_code == 201:
                    self.accepted += [f["invoice_id"] for f in r.json()["files"] if f["invoice_id"]]
            status = str(r.status_code)
            retry_after = r.headers.get("retry-after") is not None
        except httpx.TimeoutException:
            status, retry_after = "timeout", False
        except httpx.HTTPError as exc:
            status, retry_after = type(exc).__name__, False
        return Sample(
            kind, status, (time.perf_counter() - scheduled) * 1000, retry_after, scheduled
        )

    async def offer(self, rate: float, seconds: float, mix: dict[str, float]) -> list[Sample]:
        """Open loop: request i starts at t0 + i/rate whatever happened to the earlier ones."""
        rng = random.Random(int(rate * 1000))
        kinds = rng.choices(list(mix), weights=list(mix.values()), k=max(1, int(rate * seconds)))
        start = time.perf_counter() + 0.05
        tasks = []
        for i, kind in enumerate(kinds):
            at = start + i / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(kind, at)))
        return list(await asyncio.gather(*tasks))


def db_check(stack: Stack, ids: list[str], client_id: str) -> dict[str, int]:
    """How many accepted uploads exist, and how many invoices the client has, by status."""
    with psycopg.connect(stack.db_url) as conn:
        found = conn.execute(
            "select count(*) from public.invoices where id = any(%s::uuid[])", (ids,)
        ).fetchone()
        rows = conn.execute(
            "select status, count(*) from public.invoices where client_id = %s group by status",
            (client_id,),
        ).fetchall()
    return {"accepted": len(ids), "accepted_found": int(found[0] if found else 0)} | {
        f"status_{s}": int(n) for s, n in rows
    }


def wait_processed(stack: Stack, client_id: str, timeout: float) -> float | None:
    """Seconds until no invoice of the client waits for a worker (None: not within timeout)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        stack.respawn_workers()
        with psycopg.connect(stack.db_url) as conn:
            row = conn.execute(
                "select count(*) from public.invoices where client_id = %s "
                "and status in ('received', 'extracting')",
                (client_id,),
            ).fetchone()
        if row and row[0] == 0:
            return time.perf_counter() - started
        time.sleep(1.0)
    return None


async def capacity(
    load: Load, rates: list[float], seconds: float
) -> tuple[float, float, list[dict]]:
    """(highest rate meeting every p99 goal, highest rate served without error, the steps)."""
    sustained, served, phases = 0.0, 0.0, []
    for rate in rates:
        samples = await load.offer(rate, seconds, MIX)
        summary = summarize(samples, rate, seconds, GOALS_MS)
        print_phase(f"capacity {rate:g} req/s", summary)
        phases.append(summary)
        errors = sum(k["errors"] + k["rate_limited"] for k in summary["kinds"].values())
        if errors or summary["served_rps"] < 0.95 * rate:
            break
        served = rate
        if summary["holds"]:
            sustained = rate
    return sustained, served, phases


async def restart_database(load: Load, stack: Stack, rate: float) -> dict:
    """Steady load; stop the DB at 5 s, start it again at 10 s; when does the API recover?"""
    probe = httpx.AsyncClient(base_url=stack.api_url, timeout=5.0)
    timeline: list[tuple[float, str, int]] = []
    t0 = time.perf_counter()

    async def poll_ready() -> None:
        while time.perf_counter() - t0 < 40:
            try:
                r = await probe.get("/api/v1/ready")
                timeline.append((time.perf_counter() - t0, "ready", r.status_code))
            except httpx.HTTPError:
                timeline.append((time.perf_counter() - t0, "ready", 0))
            await asyncio.sleep(0.2)

    async def supervise() -> None:
        while time.perf_counter() - t0 < 40:
            await asyncio.to_thread(stack.respawn_workers)
            await asyncio.sleep(1.0)

    async def fault() -> dict:
        await asyncio.sleep(5)
        t_stop = time.perf_counter() - t0
        await asyncio.to_thread(stack.stop_database)
        await asyncio.sleep(5)
        t_start = time.perf_counter() - t0
        await asyncio.to_thread(stack.start_database)
        return {"db_stopped_at_s": t_stop, "db_start_called_at_s": t_start,
                "db_accepting_at_s": time.perf_counter() - t0}  # fmt: skip

    load_task = asyncio.create_task(load.offer(rate, 40, {"list": 0.7, "upload": 0.3}))
    ready_task = asyncio.create_task(poll_ready())
    supervisor = asyncio.create_task(supervise())
    exited_before = stack.worker_restarts
    marks = await fault()
    samples = await load_task
    await ready_task
    await supervisor
    await probe.aclose()
    back = marks["db_accepting_at_s"]
    ok_after = [t for t, _, code in timeline if code == 200 and t > back]
    failed = [s for s in samples if not s.status.startswith("2")]
    done = [(s.at - t0 + s.latency_ms / 1000, s) for s in samples]
    first_ok = min((t for t, s in done if s.status.startswith("2") and t > back), default=None)
    last_failed = max((t for t, s in done if not s.status.startswith("2")), default=None)
    return marks | {
        "ready_green_after_db_back_s": round(ok_after[0] - back, 2) if ok_after else None,
        "first_success_after_db_back_s": round(first_ok - back, 2) if first_ok else None,
        "last_failure_after_db_back_s": round(last_failed - back, 2) if last_failed else None,
        "requests": len(samples),
        "failed_requests": len(failed),
        "failed_statuses": sorted({s.status for s in failed}),
        "workers_restarted": stack.worker_restarts - exited_before,
    }


async def main_async(args: argparse.Namespace) -> dict:
    stack = Stack(workers=args.workers, max_in_flight=args.max_in_flight)
    report: dict = {
        "workers": args.workers,
        "step_seconds": args.seconds,
        "goals_ms": GOALS_MS,
        "max_in_flight": args.max_in_flight,
    }
    try:
        stack.start()
        _bases()  # before the clock starts
        load = Load(stack)
        await load.sign_in()
        await load.offer(5, 6, {"upload": 1.0})  # some invoices to list, and a warm process
        if args.base_rps:  # skip the climb: overload and restart phases from a known rate
            sustained, served, report["capacity"] = 0.0, args.base_rps, []
        else:
            sustained, served, report["capacity"] = await capacity(load, args.rates, args.seconds)
        report["sustained_rps"], report["served_without_errors_rps"] = sustained, served
        report["load_average"] = os.getloadavg()
        print(f"sustained (p99 goals): {sustained} req/s; served without errors: {served} req/s")
        # The overload and restart phases start from the goal-meeting rate, or, when no rate met
        # the goals on this machine, from the highest rate served without errors (reported).
        base = sustained or served or args.rates[0]
        report["overload_base_rps"] = base
        double = 2 * base
        stack.start_api(rate_limit=f"{max(1, int(base))}/second")
        limited = summarize(
            await load.offer(double, args.seconds * 2, MIX), double, args.seconds * 2, GOALS_MS
        )
        shed = (
            f"shedding past {args.max_in_flight} in flight" if args.max_in_flight else "no shedding"
        )
        print_phase(f"2x ({double:g} req/s), rate limit {max(1, int(base))}/s, {shed}", limited)
        stack.start_api()
        unlimited = summarize(
            await load.offer(double, args.seconds * 2, MIX), double, args.seconds * 2, GOALS_MS
        )
        print_phase(f"2x ({double:g} req/s), no rate limit, {shed}", unlimited)
        report["overload_limited"], report["overload_unlimited"] = limited, unlimited
        report["drain_seconds"] = wait_processed(stack, load.client_id, timeout=600)
        report["uploads"] = db_check(stack, load.accepted, load.client_id)
        print(f"queue drained in {report['drain_seconds']} s; uploads: {report['uploads']}")
        report["db_restart"] = await restart_database(load, stack, max(1.0, base / 2))
        report["drain_after_restart_s"] = wait_processed(stack, load.client_id, timeout=300)
        report["workers_alive_after_restart"] = sum(
            1
            for name, proc in stack.procs.items()
            if name.startswith("worker") and proc.poll() is None
        )
        report["uploads_after_restart"] = db_check(stack, load.accepted, load.client_id)
        print(f"db restart: {report['db_restart']}")
        print(
            f"after restart: {report['workers_alive_after_restart']} workers alive, queue drained"
            f" in {report['drain_after_restart_s']} s, uploads {report['uploads_after_restart']}"
        )
        await load.client.aclose()
    finally:
        stack.close()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each step")
    parser.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")],
        default=[1, 2, 3, 4, 6, 8, 10, 15, 20, 30, 40], help="offered rates to try, req/s",
    )  # fmt: skip
    parser.add_argument(
        "--base-rps", type=float, default=0.0,
        help="skip the capacity climb; run the 2x and restart phases from this rate",
    )  # fmt: skip
    parser.add_argument(
        "--max-in-flight", type=int, default=32,
        help="the API's load-shedding threshold (INVOICEFLOW_API_MAX_IN_FLIGHT; 0 = off)",
    )  # fmt: skip
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, default=str))
    print(f"sustained rate: {report.get('sustained_rps')} req/s (report: {OUT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
