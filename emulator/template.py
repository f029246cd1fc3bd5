"""What the emulator needs from a SAM template: functions, routes, tables and stream mappings.

The template is decoded by cfn-lint (which knows CloudFormation's YAML tags) and validated here
for exactly the parts the emulator serves; anything it cannot serve is a :class:`TemplateError`
with a one-line message rather than a surprise at request time.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from emulator.filters import RecordFilter
from emulator.intrinsics import Resolver, Unresolvable

__all__ = [
    "BucketSpec",
    "FunctionSpec",
    "HttpRoute",
    "JwtAuthorizerSpec",
    "LayerSpec",
    "QueueSpec",
    "ScheduleSpec",
    "StreamMapping",
    "TableSpec",
    "Template",
    "TemplateError",
    "WebSocketApiSpec",
    "body_path",
    "load_template",
]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
S3_BUCKET = "AWS::S3::Bucket"
SQS_QUEUE = "AWS::SQS::Queue"


class TemplateError(Exception):
    """The template cannot be served; the message is one line a developer can act on."""


@dataclass(frozen=True)
class LayerSpec:
    """A layer a function names: a ``LayerVersion`` of the template, or an ARN from elsewhere."""

    name: str  # the logical id, or the ARN
    content_dir: Path | None  # the ContentUri folder; None for a layer the template only names


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    code_dir: Path
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]
    runtime: str
    #: ``Metadata.BuildMethod`` (``makefile``: ``sam build`` runs ``make build-<LogicalId>``).
    build_method: str | None = None
    layers: tuple[LayerSpec, ...] = ()

    @property
    def module(self) -> str:
        """The module Lambda imports (``functions/health/app.handler`` -> functions.health.app)."""
        return self.handler.rsplit(".", 1)[0].replace("/", ".")

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    """An HTTP API JWT authorizer (``HttpApi.Auth.Authorizers.<name>.JwtConfiguration``)."""

    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_header: str = "authorization"  # from $request.header.<Name>, lower case


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # API Gateway syntax: /api/v1/channels/{id}, /{proxy+}
    function_id: str
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class WebSocketApiSpec:
    logical_id: str
    route_selection_expression: str
    stage: str
    routes: dict[str, str]  # route key -> function logical id
    authorizer_function_id: str | None = None
    identity_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class BucketSpec:
    """A bucket of the template: the emulator creates it and applies its CORS rules."""

    logical_id: str
    name: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class ScheduleSpec:
    function_id: str
    rule: str
    expression: str
    rate_s: float


_RATE_UNITS = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}


def _rate_seconds(expression: str) -> float:
    """``rate(5 minutes)`` in seconds; a cron expression runs every minute locally."""
    if expression.startswith("rate(") and expression.endswith(")"):
        amount, _, unit = expression[5:-1].strip().partition(" ")
        if amount.isdigit() and unit in _RATE_UNITS:
            return int(amount) * _RATE_UNITS[unit]
    if expression.startswith("cron("):
        return 60.0
    raise TemplateError(f"cannot read the schedule expression {expression!r}")


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue of the template (a stream mapping's on-failure destination, locally)."""

    logical_id: str
    #: The queue's name (a deployed stack's physical id of a queue is its URL: its last part).
    name: str


@dataclass(frozen=True)
class StreamMapping:
    table_id: str
    function_id: str
    batch_size: int = 100
    starting_position: str = "LATEST"
    #: How many times a failed batch is retried (-1: until it works or its records expire).
    maximum_retry_attempts: int = -1
    #: Records older than this are not delivered (-1: as old as the stream keeps them).
    maximum_record_age_s: int = -1
    bisect_on_error: bool = False
    report_item_failures: bool = False
    maximum_batching_window_s: float = 0.0
    #: ``DestinationConfig.OnFailure``: where what is given up on is reported (None: dropped).
    on_failure: QueueSpec | None = None
    #: ``FilterCriteria``: a record is delivered if it matches any of them (none: every record).
    filters: tuple[RecordFilter, ...] = ()

    def wants(self, record: dict[str, Any]) -> bool:
        """Whether the function gets this record (as Lambda delivers it)."""
        return not self.filters or any(f.matches(record) for f in self.filters)


@dataclass
class Template:
    path: Path
    stack_name: str
    region: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    http_routes: list[HttpRoute] = field(default_factory=list)
    websocket: WebSocketApiSpec | None = None
    tables: dict[str, TableSpec] = field(default_factory=dict)
    buckets: dict[str, BucketSpec] = field(default_factory=dict)
    stream_mappings: list[StreamMapping] = field(default_factory=list)
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    http_stage_variables: dict[str, str] = field(default_factory=dict)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    http_authorizers: dict[str, JwtAuthorizerSpec] = field(default_factory=dict)
    http_default_authorizer: str | None = None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals merge: maps merge key by key, everything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plain(node: Any) -> Any:
    """cfn-lint's nodes as plain dicts and lists."""
    return json.loads(json.dumps(node))


#: An integration's (or authorizer's) URI for a Lambda function, as API Gateway documents it.
_INVOKE_URI = re.compile(
    r"^arn:[\w-]+:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(?P<arn>.+)/invocations$"
)
#: A Lambda function's ARN, with an optional version or alias.
_FUNCTION_ARN = re.compile(r"^arn:[\w-]+:lambda:[\w-]+:\d*:function:(?P<name>[^:/]+)(:[^:/]+)?$")
_ROUTE_TARGET = re.compile(r"^integrations/(?P<id>[^/]+)$")


class _Targets:
    """Resolves routes to their integrations and integration URIs to their functions, by the
    values CloudFormation would give them (so any intrinsic that yields the right string works:
    ``!Sub integrations/${X}``, ``!Join ['/', [integrations, !Ref X]]``, a literal ARN, …)."""

    def __init__(self, resources: dict[str, Any], resolver: Resolver) -> None:
        self._resolver = resolver
        self._integrations = {
            str(resolver.resolve({"Ref": logical_id})): logical_id
            for logical_id, r in resources.items()
            if r.get("Type") == "AWS::ApiGatewayV2::Integration"
        }
        self._functions = {
            resolver.physical_name(logical_id): logical_id
            for logical_id, r in resources.items()
            if r.get("Type") == SERVERLESS_FUNCTION
        }
        self._resources = resources

    def _string(self, value: Any) -> str | None:
        try:
            resolved = self._resolver.resolve(value)
        except (KeyError, ValueError, TypeError, IndexError):
            return None
        return resolved if isinstance(resolved, str) else None

    def function_of_uri(self, uri: Any) -> str | None:
        """The function an ``IntegrationUri`` or ``AuthorizerUri`` invokes, if it is one of the
        template's: the ``…:lambda:path/…/functions/<arn>/invocations`` form or a plain ARN."""
        text = self._string(uri)
        if text is None:
            return None
        invoke = _INVOKE_URI.match(text)
        arn = _FUNCTION_ARN.match(invoke.group("arn") if invoke else text)
        return self._functions.get(arn.group("name")) if arn else None

    def function_of_target(self, target: Any) -> str:
        """The function behind a route's ``Target`` (``integrations/<integration id>``)."""
        text = self._string(target)
        found = _ROUTE_TARGET.match(text) if text is not None else None
        integration_id = self._integrations.get(found.group("id")) if found else None
        if integration_id is not None:
            props = self._resources[integration_id].get("Properties") or {}
            function_id = self.function_of_uri(props.get("IntegrationUri"))
            if function_id is not None:
                return function_id
        shown = text if text is not None else json.dumps(target)
        raise TemplateError(f"route target {shown!r} does not lead to a function")


def load_template(
    path: Path,
    *,
    stack_name: str = "parley-local",
    region: str = "us-east-1",
    parameters: dict[str, str] | None = None,
    deployed: Mapping[str, str] | None = None,
) -> Template:
    """Read and check a SAM template; every name in it resolved for the local stack.

    ``deployed`` maps logical ids to the names CloudFormation gave them (see
    :func:`emulator.store.deployed_names`); those resources are used under those names.
    """
    try:
        return _load(
            path, stack_name=stack_name, region=region, parameters=parameters, deployed=deployed
        )
    except Unresolvable as exc:
        raise TemplateError(f"{path.name}: {exc.args[0]}") from exc


def _load(
    path: Path,
    *,
    stack_name: str,
    region: str,
    parameters: dict[str, str] | None,
    deployed: Mapping[str, str] | None,
) -> Template:
    try:
        text = path.read_text()
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc.strerror}") from exc
    decoded, problems = decode_str(text)
    if problems or not isinstance(decoded, dict):
        first = problems[0].message if problems else "not a mapping"
        raise TemplateError(f"{path.name} is not a valid template: {first}")
    doc = _plain(decoded)
    resources: dict[str, Any] = doc.get("Resources") or {}
    if not resources:
        raise TemplateError(f"{path.name} declares no Resources")
    template = Template(path=path, stack_name=stack_name, region=region)
    resolver = Resolver(
        doc, stack_name=stack_name, region=region, parameters=parameters or {}, deployed=deployed
    )
    globals_fn = (doc.get("Globals") or {}).get("Function") or {}

    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::HttpApi":
            variables = (resource.get("Properties") or {}).get("StageVariables") or {}
            template.http_stage_variables = {
                k: str(v) for k, v in resolver.resolve(variables).items()
            }
            auth = resolver.resolve((resource.get("Properties") or {}).get("Auth") or {})
            template.http_authorizers = _http_authorizers(logical_id, auth)
            default = auth.get("DefaultAuthorizer")
            if default is not None and default not in template.http_authorizers:
                raise TemplateError(f"{logical_id}: DefaultAuthorizer {default!r} is not declared")
            template.http_default_authorizer = default
        if resource.get("Type") == DYNAMODB_TABLE:
            template.tables[logical_id] = TableSpec(
                logical_id=logical_id,
                name=resolver.physical_name(logical_id),
                properties=resolver.resolve(resource.get("Properties") or {}),
            )
        if resource.get("Type") == SQS_QUEUE and "Condition" not in resource:
            name = resolver.physical_name(logical_id)
            template.queues[logical_id] = QueueSpec(logical_id, name.rstrip("/").rsplit("/")[-1])
        # A conditional bucket (the log shipping's backup) exists only on AWS, when enabled.
        if resource.get("Type") == S3_BUCKET and "Condition" not in resource:
            template.buckets[logical_id] = BucketSpec(
                logical_id=logical_id,
                name=resolver.physical_name(logical_id),
                properties=resolver.resolve(resource.get("Properties") or {}),
            )

    for logical_id, resource in resources.items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        props = _merge(globals_fn, resource.get("Properties") or {})
        handler = props.get("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"{logical_id}: Handler must be 'path/module.function'")
        code_dir = (path.parent / str(props.get("CodeUri", "."))).resolve()
        env_vars = (props.get("Environment") or {}).get("Variables") or {}
        template.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            handler=handler,
            code_dir=code_dir,
            timeout_s=float(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={k: str(v) for k, v in resolver.resolve(env_vars).items()},
            runtime=str(props.get("Runtime", "python3.12")),
            build_method=(resource.get("Metadata") or {}).get("BuildMethod"),
            layers=_layers(props.get("Layers"), resources, path.parent, resolver),
        )
        for event_id, event in (props.get("Events") or {}).items():
            kind = event.get("Type")
            eprops = event.get("Properties") or {}
            if kind == "HttpApi":
                route_auth = eprops.get("Auth") or {}
                auth = route_auth.get("Authorizer", template.http_default_authorizer)
                if auth not in (None, "NONE") and auth not in template.http_authorizers:
                    raise TemplateError(f"{logical_id}.{event_id}: no authorizer named {auth!r}")
                template.http_routes.append(
                    HttpRoute(
                        method=str(eprops.get("Method", "ANY"))
                        .upper()
                        .replace("X-AMAZON-APIGATEWAY-ANY-METHOD", "ANY"),
                        path=str(eprops.get("Path", "/{proxy+}")),
                        function_id=logical_id,
                        authorizer=None if auth in (None, "NONE") else str(auth),
                        scopes=tuple(str(x) for x in route_auth.get("AuthorizationScopes") or ()),
                    )
                )
            elif kind == "Schedule":
                expression = str(eprops.get("Schedule", ""))
                template.schedules.append(
                    ScheduleSpec(logical_id, event_id, expression, _rate_seconds(expression))
                )
            elif kind == "DynamoDB":
                table_id = resolver.referenced_resource(eprops.get("Stream"))
                if table_id not in template.tables:
                    raise TemplateError(
                        f"{logical_id}.{event_id}: Stream is not a table's StreamArn"
                    )
                window = float(eprops.get("MaximumBatchingWindowInSeconds", 0))
                template.stream_mappings.append(
                    StreamMapping(
                        table_id=table_id,
                        function_id=logical_id,
                        batch_size=int(eprops.get("BatchSize", 100)),
                        starting_position=str(eprops.get("StartingPosition", "LATEST")),
                        maximum_retry_attempts=int(eprops.get("MaximumRetryAttempts", -1)),
                        maximum_record_age_s=int(eprops.get("MaximumRecordAgeInSeconds", -1)),
                        bisect_on_error=bool(eprops.get("BisectBatchOnFunctionError", False)),
                        report_item_failures="ReportBatchItemFailures"
                        in (eprops.get("FunctionResponseTypes") or []),
                        maximum_batching_window_s=window,
                        filters=_filters(f"{logical_id}.{event_id}", eprops.get("FilterCriteria")),
                        on_failure=_on_failure(
                            f"{logical_id}.{event_id}", eprops, template.queues, resolver
                        ),
                    )
                )

    template.websocket = _websocket_api(resources, resolver)
    return template


def _on_failure(
    where: str, eprops: dict[str, Any], queues: dict[str, QueueSpec], resolver: Resolver
) -> QueueSpec | None:
    """A stream mapping's on-failure destination: one of the template's queues (the emulator
    sends there what AWS would; it has no SNS topics or S3 destinations)."""
    destination = ((eprops.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination"
    )
    if destination is None:
        return None
    queue_id = resolver.referenced_resource(destination)
    if queue_id not in queues:
        raise TemplateError(f"{where}: DestinationConfig.OnFailure must be a queue's Arn")
    return queues[queue_id]


def _layers(
    declared: Any, resources: dict[str, Any], base: Path, resolver: Resolver
) -> tuple[LayerSpec, ...]:
    """A function's ``Layers``: the template's own with their ContentUri folders."""
    found = []
    for entry in declared or ():
        layer_id = resolver.referenced_resource(entry)
        content = (resources.get(layer_id or "", {}).get("Properties") or {}).get("ContentUri")
        if layer_id is not None and isinstance(content, str):
            found.append(LayerSpec(layer_id, (base / content).resolve()))
        else:
            found.append(LayerSpec(str(resolver.resolve(entry)), None))
    return tuple(found)


def _filters(where: str, criteria: Any) -> tuple[RecordFilter, ...]:
    """An event source mapping's ``FilterCriteria``: Lambda's event filtering patterns."""
    if criteria is None:
        return ()
    filters = criteria.get("Filters") if isinstance(criteria, dict) else None
    if not isinstance(filters, list) or not filters:
        raise TemplateError(f"{where}: FilterCriteria needs a list of Filters")
    found = []
    for entry in filters:
        pattern = entry.get("Pattern") if isinstance(entry, dict) else None
        if not isinstance(pattern, str):
            raise TemplateError(f"{where}: each filter needs a Pattern (a JSON string)")
        try:
            found.append(RecordFilter(pattern))
        except ValueError as exc:
            raise TemplateError(f"{where}: {exc}") from exc
    return tuple(found)


def _http_authorizers(api_id: str, auth: dict[str, Any]) -> dict[str, JwtAuthorizerSpec]:
    """The JWT authorizers an HttpApi declares (the emulator serves no other kind on it)."""
    found: dict[str, JwtAuthorizerSpec] = {}
    for name, config in (auth.get("Authorizers") or {}).items():
        jwt_config = (config or {}).get("JwtConfiguration")
        if not isinstance(jwt_config, dict) or not jwt_config.get("issuer"):
            raise TemplateError(f"{api_id}: authorizer {name} needs a JwtConfiguration issuer")
        source = str(config.get("IdentitySource", "$request.header.Authorization"))
        if not source.startswith("$request.header."):
            raise TemplateError(f"{api_id}: authorizer {name}: IdentitySource must be a header")
        audience = jwt_config.get("audience") or []
        found[name] = JwtAuthorizerSpec(
            name=name,
            issuer=str(jwt_config["issuer"]),
            audience=tuple(
                str(a) for a in (audience if isinstance(audience, list) else [audience])
            ),
            identity_header=source.removeprefix("$request.header.").lower(),
        )
    return found


def _websocket_api(resources: dict[str, Any], resolver: Resolver) -> WebSocketApiSpec | None:
    apis = [
        (logical_id, r)
        for logical_id, r in resources.items()
        if r.get("Type") == "AWS::ApiGatewayV2::Api"
        and (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError("the emulator serves one WebSocket API per template")
    api_id, api = apis[0]
    expression = str(api["Properties"].get("RouteSelectionExpression", ""))
    if body_path(expression) is None:
        raise TemplateError(f"{api_id}: RouteSelectionExpression must be $request.body.<field>")
    targets = _Targets(resources, resolver)
    routes: dict[str, str] = {}
    authorizer_function: str | None = None
    identity_sources: tuple[str, ...] = ()
    stage = None
    for resource in resources.values():
        props = resource.get("Properties") or {}
        if resolver.referenced_resource(props.get("ApiId")) != api_id:
            continue
        kind = resource.get("Type")
        if kind == "AWS::ApiGatewayV2::Route":
            key = str(props.get("RouteKey"))
            routes[key] = targets.function_of_target(props.get("Target"))
            if key == "$connect" and props.get("AuthorizationType") == "CUSTOM":
                authorizer_id = resolver.referenced_resource(props.get("AuthorizerId")) or ""
                aprops = resources.get(authorizer_id, {}).get("Properties") or {}
                authorizer_function = targets.function_of_uri(aprops.get("AuthorizerUri"))
                if authorizer_function is None:
                    raise TemplateError(f"{api_id}: the $connect authorizer is not a function")
                identity_sources = tuple(aprops.get("IdentitySource") or ())
        elif kind == "AWS::ApiGatewayV2::Stage":
            stage = str(resolver.resolve(props.get("StageName")))
    if stage is None:
        raise TemplateError(f"{api_id}: the WebSocket API has no Stage")
    return WebSocketApiSpec(
        logical_id=api_id,
        route_selection_expression=expression,
        stage=stage,
        routes=routes,
        authorizer_function_id=authorizer_function,
        identity_sources=identity_sources,
    )


def body_path(expression: str) -> tuple[str, ...] | None:
    """The JSON path a route selection expression reads from a message body
    (``$request.body.action`` or ``${request.body.action}``); None for any other expression."""
    if expression.startswith("${") and expression.endswith("}"):
        expression = "$" + expression[2:-1]
    path = expression.removeprefix("$request.body.")
    if path == expression or not path or "" in path.split("."):
        return None
    return tuple(path.split("."))
