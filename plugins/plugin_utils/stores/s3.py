# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s3:// record store: one object per host and id, written with S3's conditional writes.

``s3://BUCKET/PREFIX`` keeps the document of (host, id) in ``PREFIX/<host>/<id>.json`` (names
encoded by base.encode_name). The version token is the object's ETag; ``create`` sends
``If-None-Match: *``, ``replace`` and ``delete`` send ``If-Match: <ETag>``. A lost condition is
412 PreconditionFailed, or, when two writes race on AWS, 409 ConditionalRequestConflict: both
are a ``Conflict``. (Identical bytes keep the same ETag: the caller puts a nonce in every document.)

Speed: importing botocore and loading the S3 service model takes about 0.35 s, too much for every
task. ansible-core 2.19 imports action plugins in the process that forks the task workers, so when
CLOUDHOOKS_RECORD_STORE names an S3 store the action plugins call stores.preload() at import: once per
run, into a botocore session whose loaded models every task's client reuses (a
client then takes a few milliseconds). Otherwise the first S3 client of each task's worker loads them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

try:
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:  # reported when an S3 store is opened
    HAS_BOTOCORE = False
else:
    HAS_BOTOCORE = True

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreSpec
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Stored
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import decode_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import encode_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import from_bytes
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import to_bytes

CONFLICT_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
PERMISSIONS = (
    "s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix's objects and s3:ListBucket on the bucket"
)

_WARM: Optional[Any] = None  # a botocore session with the S3 model loaded


def warm() -> None:
    """Load botocore's S3 model now (at import: once per ansible-playbook run on ansible-core >= 2.19)."""
    global _WARM
    if not HAS_BOTOCORE or _WARM is not None:
        return
    session = botocore.session.Session()
    # Static dummy keys: this client is never used, and must not look for real credentials.
    session.create_client("s3", region_name="us-east-1", aws_access_key_id="warm-up", aws_secret_access_key="warm-up")
    _WARM = session


def _first(options: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if options.get(name) not in (None, ""):
            return options[name]
    return None


def client_arguments(spec: StoreSpec, aws: Mapping[str, Any]) -> Dict[str, Any]:
    """The S3 client's settings: the URL's region/profile/endpoint_url, else the task's AWS options.

    A profile named in the URL brings its own credentials: the task's keys are then not used.
    """
    url = dict(spec.parameters)
    profile = url.get("profile") or _first(aws, "profile", "aws_profile")
    settings: Dict[str, Any] = {
        "profile": profile,
        "region_name": url.get("region") or _first(aws, "region", "aws_region"),
        "endpoint_url": url.get("endpoint_url") or _first(aws, "endpoint_url", "aws_endpoint_url"),
    }
    if "profile" not in url:
        settings["aws_access_key_id"] = _first(aws, "access_key", "aws_access_key_id", "aws_access_key")
        settings["aws_secret_access_key"] = _first(aws, "secret_key", "aws_secret_access_key", "aws_secret_key")
        settings["aws_session_token"] = _first(aws, "session_token", "aws_session_token")
    if aws.get("validate_certs") is False:
        settings["verify"] = False
    elif aws.get("aws_ca_bundle"):
        settings["verify"] = aws["aws_ca_bundle"]
    return settings


class S3Store(RecordStore):
    def __init__(self, spec: StoreSpec, aws: Mapping[str, Any], client: Any = None) -> None:
        self.spec = spec
        self.bucket = spec.bucket
        self.prefix = spec.prefix
        self._settings = client_arguments(spec, aws)
        self._client = client

    # -- the client, made on first use -----------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        if not HAS_BOTOCORE:
            raise StoreError("record_store %s needs botocore on the controller (pip install boto3)" % self.spec.url)
        warm()
        settings = dict(self._settings)
        profile = settings.pop("profile")
        session = _WARM
        if profile:
            session = botocore.session.Session(profile=profile)
            session.register_component("data_loader", _WARM.get_component("data_loader"))
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=10,
            read_timeout=30,
            s3={"addressing_style": "path"} if settings.get("endpoint_url") else None,
        )
        arguments = {k: v for k, v in settings.items() if v is not None}
        try:
            client = session.create_client("s3", config=config, **arguments)
        except BotoCoreError as exc:
            raise StoreError("record_store %s: cannot make an S3 client: %s" % (self.spec.url, exc)) from exc
        model = client.meta.service_model
        for operation in ("PutObject", "DeleteObject"):
            if "IfMatch" not in model.operation_model(operation).input_shape.members:
                raise StoreError("record_store %s needs a botocore that sends S3 conditional writes (If-Match on "
                                 "PutObject and DeleteObject); botocore %s on the controller is too old"
                                 % (self.spec.url, botocore.__version__))
        return client

    # -- names -----------------------------------------------------------------------------

    def _host_prefix(self, host: str) -> str:
        return "%s%s/" % (self.prefix + "/" if self.prefix else "", encode_name(host))

    def _key(self, host: str, record_id: str) -> str:
        return self._host_prefix(host) + encode_name(record_id) + ".json"

    def where(self, host: str, record_id: str) -> str:
        return "s3://%s/%s" % (self.bucket, self._key(host, record_id))

    # -- errors ----------------------------------------------------------------------------

    def _error(self, exc: Exception, operation: str, key: str) -> StoreError:
        where = "s3://%s/%s" % (self.bucket, key)
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in CONFLICT_CODES or status in (409, 412):
                return Conflict("record_store %s: %s changed since it was read (%s)" % (self.spec.url, where, code))
            if code == "NoSuchBucket":
                return StoreError("record_store %s: the bucket %s does not exist (%s of %s); create it, versioned "
                                  "and encrypted, or fix the URL" % (self.spec.url, self.bucket, operation, where))
            if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or status == 403:
                return StoreError("record_store %s: access denied for %s of %s. The controller's AWS credentials "
                                  "need %s" % (self.spec.url, operation, where, PERMISSIONS))
            return StoreError("record_store %s: %s of %s failed: %s %s" % (
                self.spec.url, operation, where, code, error.get("Message", "")))
        if isinstance(exc, NoCredentialsError):
            return StoreError("record_store %s: no AWS credentials for %s of %s: give the task's access_key and "
                              "secret_key, a profile (in the task or the URL's ?profile=), or the usual environment "
                              "variables or config files on the controller" % (self.spec.url, operation, where))
        return StoreError("record_store %s: %s of %s failed: %s" % (self.spec.url, operation, where, exc))

    # -- the interface ---------------------------------------------------------------------

    def read(self, host: str, record_id: str) -> Optional[Stored]:
        key = self._key(host, record_id)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            data = response["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._error(exc, "GetObject", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "GetObject", key) from exc
        return Stored(from_bytes(data, "s3://%s/%s" % (self.bucket, key)), response["ETag"])

    def _put(self, host: str, record_id: str, document: Mapping[str, Any], condition: Dict[str, str]) -> str:
        key = self._key(host, record_id)
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=to_bytes(document), ContentType="application/json", **condition)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "PutObject", key) from exc
        return str(response["ETag"])

    def create(self, host: str, record_id: str, document: Mapping[str, Any]) -> str:
        return self._put(host, record_id, document, {"IfNoneMatch": "*"})

    def replace(self, host: str, record_id: str, document: Mapping[str, Any], version: str) -> str:
        return self._put(host, record_id, document, {"IfMatch": version})

    def delete(self, host: str, record_id: str, version: str) -> None:
        key = self._key(host, record_id)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, IfMatch=version)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise Conflict("record_store %s: s3://%s/%s was removed since it was read"
                               % (self.spec.url, self.bucket, key)) from exc
            raise self._error(exc, "DeleteObject", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "DeleteObject", key) from exc

    def ids(self, host: str) -> List[str]:
        prefix = self._host_prefix(host)
        found: List[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for entry in page.get("Contents", []):
                    name = entry["Key"][len(prefix):]
                    if "/" in name or not name.endswith(".json"):
                        continue
                    record_id = decode_name(name[:-len(".json")])
                    if record_id is None:
                        stored = self.read_key(entry["Key"])
                        record_id = str(stored.get("id", name))
                    found.append(record_id)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "ListObjectsV2", prefix) from exc
        return sorted(found)

    def read_key(self, key: str) -> Dict[str, Any]:
        response = self.client.get_object(Bucket=self.bucket, Key=key)
        return from_bytes(response["Body"].read(), "s3://%s/%s" % (self.bucket, key))
