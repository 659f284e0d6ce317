"""storage-api's routes for the Supabase fake (``tests/fakes/supabase_fake.py`` names sources).

A mixin: the state (objects, buckets, members, keys) lives on ``SupabaseFake``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

WRITERS = {"owner", "operator"}


@dataclass
class Bucket:
    """A bucket's settings (docs: Storage > Buckets; storage-api ``validateMimeType``)."""

    public: bool = False
    allowed_mime_types: list[str] | None = None
    file_size_limit: int | None = None


class _Refusal(Exception):
    """A ready error response raised from deep inside a handler."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__("refused")
        self.response = response


def _now() -> float:
    return time.time()


class StorageRoutes:
    """Upload, download, info, remove, sign, signed download and bucket info, as Storage."""

    @staticmethod
    def _storage_error(status: str, code: str, error: str, message: str) -> JSONResponse:
        # storage-api storage-error.ts + error-handler.ts: every 4xx StorageBackendError is sent
        # as HTTP 400 (userStatusCode), the real status only in the body's "statusCode" string.
        body = {"statusCode": status, "code": code, "error": error, "message": message}
        return JSONResponse(body, 500 if status == "500" else 400)

    def _not_found(self) -> JSONResponse:
        return self._storage_error("404", "NoSuchKey", "not_found", "Object not found")

    def _role(self, claims: dict[str, Any], name: str) -> str | None:
        return self.members.get(name.split("/", 1)[0], {}).get(str(claims.get("sub")))

    def _storage_caller(self, request: Request, *, allow_invalid: bool) -> dict[str, Any]:
        """The caller's claims; raises ``_Refusal`` for a bad token on a strict route."""
        apikey = request.headers.get("apikey", "")
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else ""
        key_role = self._apikey_role(apikey)
        if not bearer or bearer == apikey:
            # docs api-keys: without a user JWT the gateway sends the key's own role.
            return {"role": key_role or "anon"}
        if self._apikey_role(bearer) is not None:
            return {"role": self._apikey_role(bearer)}
        claims = self.verify_user_jwt(bearer)
        if isinstance(claims, str):
            # storage-api src/http/plugins/jwt.ts: a bad JWT is anonymous on routes with
            # allowInvalidJwt (authenticated download and info), else ERRORS.AccessDenied.
            if allow_invalid:
                return {"role": "anon"}
            raise _Refusal(self._storage_error("403", "AccessDenied", "Unauthorized", claims))
        return claims

    def _bucket(self, name: str) -> Bucket | None:
        return self.buckets.get(name)

    def _visible(self, claims: dict[str, Any], bucket: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((bucket, name))
        if obj is None:
            return None
        if claims.get("role") == "service_role":
            return obj  # the service role bypasses RLS (docs api-keys)
        return obj if self._role(claims, name) is not None else None

    async def upload(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket_name, name = request.path_params["bucket"], request.path_params["name"]
        bucket = self._bucket(bucket_name)
        if bucket is None:
            # storage-api codes.ts NoSuchBucket.
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        if claims.get("role") != "service_role" and self._role(claims, name) not in WRITERS:
            # storage-api: Postgres' RLS refusal becomes AccessDenied (403) "Unauthorized".
            return self._storage_error(
                "403", "AccessDenied", "Unauthorized", "new row violates row-level security policy"
            )
        form = await request.form()
        part = form["file"]
        data = await part.read()  # type: ignore[union-attr]
        content_type = str(part.content_type or "")  # type: ignore[union-attr]
        if bucket.allowed_mime_types is not None and content_type not in bucket.allowed_mime_types:
            # storage-api validateMimeType: the whole content type must be one of the allowed
            # ones (or match a "type/*" wildcard); "text/xml; charset=utf-8" is not "text/xml".
            wildcard = content_type.split("/", 1)[0] + "/*"
            if wildcard not in bucket.allowed_mime_types:
                return self._storage_error(
                    "415",
                    "InvalidMimeType",
                    "invalid_mime_type",
                    f"mime type {content_type} is not supported",
                )
        if bucket.file_size_limit is not None and len(data) > bucket.file_size_limit:
            return self._storage_error(
                "413",
                "EntityTooLarge",
                "Payload too large",
                "The object exceeded the maximum allowed size",
            )
        if (bucket_name, name) in self.objects and request.headers.get("x-upsert") != "true":
            return self._storage_error(
                "409", "KeyAlreadyExists", "Duplicate", "The resource already exists"
            )
        if self.on_object is not None:
            self.on_object("insert", bucket_name, name, claims)
        obj = {"data": data, "content_type": content_type, "owner": claims.get("sub")}
        self.objects[(bucket_name, name)] = {**obj, "id": str(uuid.uuid4())}
        return JSONResponse(
            {"Key": f"{bucket_name}/{name}", "Id": self.objects[(bucket_name, name)]["id"]}
        )

    async def download(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=True)
        bucket = request.path_params["bucket"]
        if self._bucket(bucket) is None:
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        obj = self._visible(claims, bucket, request.path_params["name"])
        if obj is None:
            return self._not_found()
        return Response(obj["data"], media_type=obj["content_type"])

    async def info(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=True)
        name, bucket = request.path_params["name"], request.path_params["bucket"]
        if self._bucket(bucket) is None:
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        obj = self._visible(claims, bucket, name)
        if obj is None:
            return self._not_found()
        return JSONResponse(
            {
                "id": obj["id"],
                "name": name,
                "size": len(obj["data"]),
                "content_type": obj["content_type"],
            }
        )

    async def remove(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket = request.path_params["bucket"]
        removed = []
        for name in (await request.json()).get("prefixes", []):
            writer = claims.get("role") == "service_role" or self._role(claims, name) in WRITERS
            if self._visible(claims, bucket, name) and writer:
                self.objects.pop((bucket, name))
                if self.on_object is not None:
                    self.on_object("delete", bucket, name, claims)
                removed.append({"name": name, "bucket_id": bucket})
        return JSONResponse(removed)

    async def sign_url(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        if self._visible(claims, bucket, name) is None:
            return self._not_found()
        expires_in = int((await request.json())["expiresIn"])
        now = int(_now())
        token = jwt.encode(
            {"url": f"{bucket}/{name}", "iat": now, "exp": now + expires_in},
            self.jwt_secret,
            algorithm="HS256",
        )
        return JSONResponse({"signedURL": f"/object/sign/{bucket}/{name}?token={token}"})

    async def signed_download(self, request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        try:
            claims = jwt.decode(
                request.query_params.get("token", ""), self.jwt_secret, algorithms=["HS256"]
            )
        except jwt.ExpiredSignatureError:
            return self._storage_error("400", "InvalidJWT", "InvalidJWT", "jwt expired")
        except jwt.PyJWTError:
            return self._storage_error("400", "InvalidJWT", "InvalidJWT", "invalid signature")
        obj = self.objects.get((bucket, name))
        if claims.get("url") != f"{bucket}/{name}" or obj is None:
            return self._not_found()
        headers = {}
        if "download" in request.query_params:  # as Storage does: ?download[=name] -> attachment
            filename = request.query_params["download"] or name.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return Response(obj["data"], media_type=obj["content_type"], headers=headers)

    async def get_bucket(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=False)
        name = request.path_params["bucket"]
        bucket = self._bucket(name)
        # storage-api getBucket reads storage.buckets under RLS: our migration lets
        # authenticated users see "invoices"; anon sees nothing; the service role everything.
        if bucket is None or claims.get("role") not in ("service_role", "authenticated"):
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        return JSONResponse(
            {
                "id": name,
                "name": name,
                "public": bucket.public,
                "allowed_mime_types": bucket.allowed_mime_types,
                "file_size_limit": bucket.file_size_limit,
            }
        )
