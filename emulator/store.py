"""The AWS services behind the local stack: an embedded moto server, or whatever
``AWS_ENDPOINT_URL`` names (LocalStack, or AWS itself), with the template's tables in it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.store_credentials import StoreCredentials
from emulator.template import BucketSpec, QueueSpec, TableSpec

__all__ = [
    "DATA_RESOURCE_TYPES",
    "EmbeddedStore",
    "StoreError",
    "deployed_names",
    "dynamodb_client",
    "ensure_buckets",
    "ensure_queues",
    "ensure_tables",
    "sqs_client",
]

log = logging.getLogger("parley.store")


class StoreError(Exception):
    """The store could not be started or reached."""


async def _forward(stream: asyncio.StreamReader) -> None:
    """The store's own output, line by line, into the log (its tracebacks included)."""
    while line := await stream.readline():
        log.warning("%s", line.decode(errors="replace").rstrip())


class EmbeddedStore:
    """A moto server in a child process, on loopback, answering requests signed with
    ``credentials`` only (emulator/store_auth.py)."""

    def __init__(self, host: str, port: int, credentials: StoreCredentials) -> None:
        self.host = host
        self.port = port
        self.credentials = credentials
        self._process: asyncio.subprocess.Process | None = None
        self._log_task: asyncio.Task[None] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, timeout_s: float = 60.0) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "emulator.store_server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **self.credentials.env()},
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout_s)
        except TimeoutError as exc:
            await self.stop()
            raise StoreError(f"the embedded store did not start within {timeout_s:g} s") from exc
        text = line.decode().strip()
        if not text.startswith("READY "):
            err = (await self._process.stderr.read()).decode(errors="replace").strip()
            await self.stop()
            last = err.splitlines()[-1] if err else "it exited"
            raise StoreError(f"the embedded store did not start: {last}")
        self.port = int(text.rsplit(":", 1)[1])
        # Keep reading what the store says: an undrained pipe would fill and freeze it.
        self._log_task = asyncio.create_task(_forward(self._process.stderr))

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._log_task is not None:
            await asyncio.gather(self._log_task, return_exceptions=True)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None


def dynamodb_client(
    endpoint_url: str | None,
    region: str,
    service: Literal["dynamodb", "dynamodbstreams"] = "dynamodb",
) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        # A bounded wait per call: a store that never answers one request must not stall the
        # stream pump for botocore's default of three attempts of 60 s each.
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=16,
            connect_timeout=5,
            read_timeout=15,
        ),
    )


def _create_args(table: TableSpec) -> dict[str, Any]:
    props = table.properties
    args: dict[str, Any] = {
        "TableName": table.name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if args["BillingMode"] == "PROVISIONED":
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return args


def ensure_tables(endpoint_url: str | None, region: str, tables: list[TableSpec]) -> list[str]:
    """Create the template's tables that do not exist yet; the names of those created."""
    client = dynamodb_client(endpoint_url, region)
    created = []
    for table in tables:
        try:
            client.create_table(**_create_args(table))
            created.append(table.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise StoreError(f"cannot create table {table.name}: {exc}") from exc
            continue
        client.get_waiter("table_exists").wait(
            TableName=table.name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        ttl = table.properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
    return created


#: CloudFormation's names of a CORS rule's lists, and the S3 API's.
_CORS_KEYS = {
    "AllowedOrigins": "AllowedOrigins",
    "AllowedMethods": "AllowedMethods",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
}


def _cors_rules(bucket: BucketSpec) -> list[dict[str, Any]]:
    """The template's CORS rules in the S3 API's shape (a CommaDelimitedList parameter
    resolves to one string locally: split it as CloudFormation would)."""
    rules = []
    for rule in (bucket.properties.get("CorsConfiguration") or {}).get("CorsRules") or []:
        shaped: dict[str, Any] = {}
        for key, api_key in _CORS_KEYS.items():
            value = rule.get(key)
            if value is not None:
                shaped[api_key] = value.split(",") if isinstance(value, str) else list(value)
        if "MaxAge" in rule:
            shaped["MaxAgeSeconds"] = int(rule["MaxAge"])
        rules.append(shaped)
    return rules


def ensure_buckets(endpoint_url: str | None, region: str, buckets: list[BucketSpec]) -> list[str]:
    """Create the template's buckets that do not exist yet, with their CORS rules (browsers
    upload to and download from them); the names of those created."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    created = []
    for bucket in buckets:
        args: dict[str, Any] = {"Bucket": bucket.name}
        if region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.head_bucket(Bucket=bucket.name)
        except ClientError:
            # us-east-1 answers 200 to creating a bucket one owns: ask first, then create.
            try:
                client.create_bucket(**args)
            except ClientError as exc:
                raise StoreError(f"cannot create bucket {bucket.name}: {exc}") from exc
            created.append(bucket.name)
        rules = _cors_rules(bucket)
        if rules:
            client.put_bucket_cors(Bucket=bucket.name, CORSConfiguration={"CORSRules": rules})
    return created


def sqs_client(endpoint_url: str | None, region: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=15),
    )


#: What the template's failure queues keep (14 days, SQS's longest), locally as on AWS.
_QUEUE_ATTRIBUTES = {"MessageRetentionPeriod": "1209600"}


def ensure_queues(endpoint_url: str | None, region: str, queues: list[QueueSpec]) -> dict[str, str]:
    """Create the template's queues that do not exist yet (the stream mappings' on-failure
    destinations); every queue's URL, by logical id."""
    client = sqs_client(endpoint_url, region)
    urls: dict[str, str] = {}
    for queue in queues:
        try:
            urls[queue.logical_id] = client.get_queue_url(QueueName=queue.name)["QueueUrl"]
            continue
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
            ):
                raise StoreError(f"cannot look up queue {queue.name}: {exc}") from exc
        try:
            answer = client.create_queue(QueueName=queue.name, Attributes=_QUEUE_ATTRIBUTES)
        except ClientError as exc:
            raise StoreError(f"cannot create queue {queue.name}: {exc}") from exc
        log.info("created queue %s", queue.name)
        urls[queue.logical_id] = answer["QueueUrl"]
    return urls


#: The resources a store behind ``AWS_ENDPOINT_URL`` can hold for the emulator: the emulator
#: serves the functions and both APIs itself, but uses these where CloudFormation made them.
DATA_RESOURCE_TYPES = frozenset(
    {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic"}
)


def deployed_names(endpoint_url: str | None, region: str, stack_name: str) -> dict[str, str]:
    """The names CloudFormation gave a deployed stack's data resources, by logical id.

    Empty when the endpoint has no stack of that name: the emulator then creates its own
    tables under local names. A stack deployed from the template (LocalStack, or the moto
    server in the tests) is used as it is, so the functions reach exactly its resources.
    """
    client = boto3.client(
        "cloudformation",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    names: dict[str, str] = {}
    try:
        for page in client.get_paginator("list_stack_resources").paginate(StackName=stack_name):
            for resource in page["StackResourceSummaries"]:
                physical = resource.get("PhysicalResourceId")
                if resource["ResourceType"] in DATA_RESOURCE_TYPES and physical:
                    names[resource["LogicalResourceId"]] = physical
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationError":  # no stack of that name
            return {}
        raise StoreError(f"cannot list the resources of stack {stack_name}: {exc}") from exc
    except BotoCoreError as exc:
        raise StoreError(f"cannot list the resources of stack {stack_name}: {exc}") from exc
    return names
