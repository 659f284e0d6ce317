"""Load shedding: past the in-flight limit, 429 + Retry-After at once; probes always answered."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api.overload import InFlightLimitMiddleware


def _held_app(release: asyncio.Event, entered: list[str]):
    async def app(scope, receive, send) -> None:
        entered.append(scope["path"])
        if scope["path"].startswith("/slow"):
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


@pytest.mark.parametrize("limit", [1, 2])
def test_requests_beyond_the_limit_are_refused_without_reaching_the_app(limit) -> None:
    async def scenario() -> None:
        release, entered = asyncio.Event(), []
        app = InFlightLimitMiddleware(_held_app(release, entered), max_in_flight=limit)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get(f"/slow/{i}")) for i in range(limit)]
            while len(entered) < limit:
                await asyncio.sleep(0.01)
            refused = await client.get("/api/v1/invoices")
            probe = await client.get("/api/v1/health")
            release.set()
            assert all(r.status_code == 200 for r in await asyncio.gather(*held))
            after = await client.get("/api/v1/invoices")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "overloaded"
        assert entered.count("/api/v1/invoices") == 1  # only the request after the release
        assert probe.status_code == 200
        assert after.status_code == 200
        assert app.in_flight == 0

    asyncio.run(scenario())


def test_zero_disables_the_limit() -> None:
    async def scenario() -> None:
        release, entered = asyncio.Event(), []
        app = InFlightLimitMiddleware(_held_app(release, entered), max_in_flight=0)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get(f"/slow/{i}")) for i in range(5)]
            while len(entered) < 5:
                await asyncio.sleep(0.01)
            release.set()
            assert all(r.status_code == 200 for r in await asyncio.gather(*held))

    asyncio.run(scenario())
