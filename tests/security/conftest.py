"""The attack suite's fixtures: the in-process API of the e2e tests, and a live stack.

``api_settings``, ``api_server`` and ``http`` are the e2e API fixtures (uvicorn on loopback over
the session's test database), imported rather than copied. ``live_stack`` is the product as
``make run`` starts it: ``python -m core demo serve`` (the API and a worker under the supervisor)
over its own embedded PostgreSQL, so a test may restart that database, kill the worker or break
the file store without touching anything else.
"""

from __future__ import annotations

from tests.e2e.api.conftest import api_server, api_settings, http  # noqa: F401 (fixtures)
