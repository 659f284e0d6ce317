"""Version 1 of the REST API, mounted under ``/api/v1``."""
