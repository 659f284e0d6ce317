"""Workflow figures (issue 5): upload latency/throughput, invoice list latency, end-to-end rate.

    make bench-workflow      # or: python -m bench.workflow_bench [--uploads 400] [--e2e 1000]

Runs on a private stack (bench/load_stack.py: own PostgreSQL, API replicas behind Caddy, worker
processes), on loopback:
  1. upload: 20 concurrent clients POST a 100 KB PDF each (unique bytes, so nothing is
     deduplicated), each sending its next upload as soon as the last one answered; latency
     p50/p99 and uploads/s after a warm-up round (printed apart). Workers are stopped during this
     phase (the jobs queue up) and, separately, running, since both are what a 2-core box sees.
     The API runs as --api-replicas one-process replicas behind Caddy (docker/Caddyfile's
     least_conn), 2 by default: one per core.
  2. list: 100,000 invoices in one client (bulk-inserted rows), GET /api/v1/invoices pages with
     and without filters; p50/p99 over sequential requests.
  3. end to end: N (default 1,000) generated text-layer invoice PDFs uploaded in batches of 100,
     2 worker processes; wall time from the first upload until the last invoice left
     processing, and invoices/s.
Figures are printed, never asserted. Goals: upload p99 <= 250 ms, list p99 <= 100 ms,
1,000 invoices <= 120 s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
import uuid

import httpx
import psycopg

from bench.load_stack import Stack

PDF_BYTES = 100 * 1024
ERROR_KINDS: collections.Counter[str] = collections.Counter()  # "status code" -> how many


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile in ms."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k] * 1000


def padded_pdf(base: bytes, tag: str) -> bytes:
    """``base`` grown to 100 KB with a trailing PDF comment (unique per upload, still a PDF)."""
    pad = PDF_BYTES - len(base) - len(tag) - 4
    return base + b"\n%" + tag.encode() + b"%" + b"0" * max(0, pad) + b"\n"


def sign_in(api: str) -> tuple[dict[str, str], str]:
    """A fresh user with one client; returns auth headers and the client id."""
    with httpx.Client(base_url=api + "/api/v1", timeout=60) as http:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.test"
        credentials = {"email": email, "password": "bench password 123"}
        http.post("/auth/sign-up", json=credentials).raise_for_status()  # 202, no tokens
        r = http.post("/auth/sign-in", json=credentials)
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        cid = http.post("/clients", json={"name": "Bench"}, headers=headers).json()["id"]
    return headers, cid


async def upload_phase(api: str, headers, cid: str, total: int, concurrency: int = 20):
    """``concurrency`` clients, each sending its next upload as soon as the last one answered.

    The load generator is aiohttp (about a third of httpx's CPU per request): it shares the
    2 cores with the server, so its own cost would otherwise show up as server latency.
    """
    import aiohttp

    from core.demo.synthetic_invoices import generate_invoice

    base = generate_invoice(1, kind="pdf").data
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    url = f"{api}/api/v1/clients/{cid}/uploads"

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            form = aiohttp.FormData()
            form.add_field(
                "files",
                padded_pdf(base, uuid.uuid4().hex),
                filename=f"u{i}.pdf",
                content_type="application/pdf",
            )
            started = time.perf_counter()
            async with http.post(url, data=form, headers=headers) as r:
                body = await r.json()
            latencies.append(time.perf_counter() - started)
            if r.status != 201 or body.get("accepted") != 1:
                errors += 1
                kind = body.get("code") if r.status != 201 else body["files"][0].get("error_code")
                ERROR_KINDS[f"{r.status} {kind}"] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, errors, wall


def print_uploads(label: str, latencies: list[float], errors: int, wall: float) -> None:
    print(
        f"upload {label}: n={len(latencies)} errors={errors} "
        f"p50={pct(latencies, 50):.0f} ms p99={pct(latencies, 99):.0f} ms "
        f"throughput={len(latencies) / wall:.1f} uploads/s (goal p99 <= 250 ms)"
    )
    if ERROR_KINDS:
        print(f"  errors by kind: {dict(ERROR_KINDS)}")
        ERROR_KINDS.clear()


def clear_queue(db_url: str, cid: str) -> None:
    """Drop the upload phase's waiting jobs and its invoices: otherwise the queue's orphan sweep
    rightly requeues them, and the end-to-end phase would process them too."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("delete from procrastinate_jobs where status = 'todo'")
        conn.execute("delete from public.invoices where client_id = %s", (cid,))


def seed_invoices(db_url: str, cid: str, user_id: str, n: int) -> None:
    """``n`` invoices with varied statuses, vendors, dates and totals (bench setup, as owner)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            """
            insert into public.invoices (client_id, status, vendor_name, invoice_number,
              invoice_date, currency, total, match_band, created_by, created_at)
            select %s, (array['needs_review','auto_approved','approved','exported','failed',
                              'rejected'])[1 + g %% 6],
                   'Vendor ' || (g %% 500), 'INV-' || g, date '2023-01-01' + (g %% 700),
                   'EUR', round((10 + (g * 7919) %% 50000)::numeric, 2),
                   (array['auto','review','reject'])[1 + g %% 3], %s,
                   now() - make_interval(secs => g)
            from generate_series(1, %s) g
            """,
            (cid, user_id, n),
        )
        conn.execute("vacuum (analyze) public.invoices")  # the steady state autovacuum keeps


def list_phase(api: str, headers, cid: str, rounds: int = 200) -> None:
    queries = {
        "page 1": {"client_id": cid, "limit": 50},
        "page 100": {"client_id": cid, "limit": 50, "offset": 5000},
        "status": {"client_id": cid, "status": "needs_review", "limit": 50},
        "date+amount": {
            "client_id": cid, "date_from": "2023-06-01", "date_to": "2023-09-30",
            "amount_min": 100, "amount_max": 20000, "limit": 50,
        },
        "vendor": {"client_id": cid, "vendor": "Vendor 42", "limit": 50},
        "no client filter": {"limit": 50},
    }  # fmt: skip
    with httpx.Client(base_url=api + "/api/v1", timeout=60) as http:
        for label, params in queries.items():
            http.get("/invoices", params=params, headers=headers)  # warm
            lat = []
            count = None
            for _ in range(rounds):
                started = time.perf_counter()
                r = http.get("/invoices", params=params, headers=headers)
                lat.append(time.perf_counter() - started)
                count = r.json().get("count")
            print(
                f"list [{label}]: count={count} p50={pct(lat, 50):.1f} ms "
                f"p99={pct(lat, 99):.1f} ms (goal p99 <= 100 ms)"
            )


def e2e_phase(stack: Stack, api: str, headers, cid: str, n: int) -> None:
    from core.demo.synthetic_invoices import generate_invoice

    t0 = time.perf_counter()
    docs = [generate_invoice(10_000 + i, kind="pdf") for i in range(n)]
    print(f"e2e: generated {n} text-layer PDFs in {time.perf_counter() - t0:.0f} s (not timed)")
    started = time.perf_counter()
    with httpx.Client(base_url=api + "/api/v1", timeout=300) as http:
        for i in range(0, n, 100):
            chunk = docs[i : i + 100]
            r = http.post(
                f"/clients/{cid}/uploads",
                files=[("files", (d.filename, d.data, "application/pdf")) for d in chunk],
                headers=headers,
            )
            r.raise_for_status()
            for f in r.json()["files"]:
                if f["status"] != "accepted":
                    ERROR_KINDS[f"{f['status']} {f.get('error_code')}"] += 1
        uploaded = time.perf_counter() - started
        if ERROR_KINDS:  # a refused upload is a failure of the run, not a smaller figure
            print(f"e2e: uploads not accepted: {dict(ERROR_KINDS)}")
        while True:
            body = http.get(
                "/invoices",
                params={
                    "client_id": cid,
                    "status": ["received", "extracting", "extracted", "matched"],
                    "limit": 1,
                },
                headers=headers,
            ).json()
            if body["count"] == 0:
                break
            if time.perf_counter() - started > 1800:
                print("e2e: gave up after 30 min")
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        done = http.get("/invoices", params={"client_id": cid, "limit": 1}, headers=headers)
        failed = http.get(
            "/invoices", params={"client_id": cid, "status": "failed", "limit": 1}, headers=headers
        )
    print(
        f"e2e: {done.json()['count']} invoices, {failed.json()['count']} failed, uploads took "
        f"{uploaded:.1f} s, wall {wall:.1f} s, {n / wall:.1f} invoices/s with "
        f"{stack.workers} workers (goal <= 120 s for 1,000)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--list-rows", type=int, default=100_000)
    parser.add_argument("--e2e", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--in-process-extraction",
        action="store_true",
        help="workers extract in-process (INVOICEFLOW_EXTRACTION_ISOLATED=false), for comparison "
        "with the default budgeted child process",
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=["upload", "idle", "list", "e2e"])
    parser.add_argument(
        "--api-workers", type=int, default=1, help="uvicorn --workers of one API process"
    )
    parser.add_argument(
        "--api-replicas",
        type=int,
        default=2,
        help="one-process API replicas behind Caddy least_conn (docker/Caddyfile's shape; "
        "2 = one per core of this machine)",
    )
    args = parser.parse_args()
    stack = Stack(workers=0, api_workers=args.api_workers, api_replicas=args.api_replicas)
    try:
        stack.start()
        api = stack.api_url
        print(f"stack: API {api}, database {stack.tmp}")
        if "upload" not in args.skip:
            headers, cid = sign_in(api)
            if "idle" not in args.skip:
                # The first requests of fresh processes open pools and load libraries; the goal
                # is about the running service, so a warm-up round is printed apart.
                lat, err, wall = asyncio.run(upload_phase(api, headers, cid, args.warmup))
                print_uploads("warm-up, fresh processes (not the figure)", lat, err, wall)
                lat, err, wall = asyncio.run(upload_phase(api, headers, cid, args.uploads))
                print_uploads("(workers stopped)", lat, err, wall)
            for i in range(args.workers):
                stack._spawn(f"worker-{i}", [sys.executable, "-m", "core", "worker"])
            lat, err, wall = asyncio.run(upload_phase(api, headers, cid, args.uploads // 2))
            print_uploads(f"({args.workers} workers busy)", lat, err, wall)
            for i in range(args.workers):
                stack.stop_process(f"worker-{i}")
            clear_queue(stack.db_url, cid)
        if "list" not in args.skip:
            headers, cid = sign_in(api)
            with httpx.Client(base_url=api + "/api/v1") as http:
                user_id = http.get("/auth/me", headers=headers).json()["id"]
            t0 = time.perf_counter()
            seed_invoices(stack.db_url, cid, user_id, args.list_rows)
            print(f"list: seeded {args.list_rows} invoices in {time.perf_counter() - t0:.1f} s")
            list_phase(api, headers, cid)
        if "e2e" not in args.skip:
            headers, cid = sign_in(api)
            stack.workers = args.workers
            isolated = "false" if args.in_process_extraction else "true"
            for i in range(args.workers):
                stack._spawn(
                    f"worker-{i}",
                    [sys.executable, "-m", "core", "worker"],
                    env={"INVOICEFLOW_EXTRACTION_ISOLATED": isolated},
                )
            print(f"e2e: extraction {'in-process' if isolated == 'false' else 'in a child'}")
            e2e_phase(stack, api, headers, cid, args.e2e)
        return 0
    finally:
        stack.close()


if __name__ == "__main__":
    raise SystemExit(main())
