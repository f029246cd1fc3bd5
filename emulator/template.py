"""What the emulator needs from a SAM template: functions, routes, tables and stream mappings.

The template is decoded by cfn-lint (which knows CloudFormation's YAML tags) and validated here
for exactly the parts the emulator serves; anything it cannot serve is a :class:`TemplateError`
with a one-line message rather than a surprise at request time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from emulator.filters import RecordFilter
from emulator.intrinsics import Resolver

__all__ = [
    "BucketSpec",
    "FunctionSpec",
    "HttpRoute",
    "JwtAuthorizerSpec",
    "LayerSpec",
    "ScheduleSpec",
    "StreamMapping",
    "TableSpec",
    "Template",
    "TemplateError",
    "WebSocketApiSpec",
    "load_template",
]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
S3_BUCKET = "AWS::S3::Bucket"


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
class StreamMapping:
    table_id: str
    function_id: str
    batch_size: int = 100
    starting_position: str = "LATEST"
    maximum_retry_attempts: int = -1
    bisect_on_error: bool = False
    report_item_failures: bool = False
    maximum_batching_window_s: float = 0.0
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


def _target_function(resources: dict[str, Any], target: Any, resolver: Resolver) -> str:
    """The function logical id behind a WebSocket route's ``integrations/${X}`` target."""
    integration_id = resolver.referenced_resource(target)
    integration = resources.get(integration_id or "", {})
    uri = integration.get("Properties", {}).get("IntegrationUri")
    function_id = resolver.referenced_resource(uri)
    if function_id is None or resources.get(function_id, {}).get("Type") != SERVERLESS_FUNCTION:
        raise TemplateError(f"route target {target!r} does not lead to a function")
    return function_id


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
                        bisect_on_error=bool(eprops.get("BisectBatchOnFunctionError", False)),
                        report_item_failures="ReportBatchItemFailures"
                        in (eprops.get("FunctionResponseTypes") or []),
                        maximum_batching_window_s=window,
                        filters=_filters(f"{logical_id}.{event_id}", eprops.get("FilterCriteria")),
                    )
                )

    template.websocket = _websocket_api(resources, resolver)
    return template


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
    if not expression.startswith("$request.body."):
        raise TemplateError(f"{api_id}: RouteSelectionExpression must be $request.body.<field>")
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
            routes[key] = _target_function(resources, props.get("Target"), resolver)
            if key == "$connect" and props.get("AuthorizationType") == "CUSTOM":
                authorizer = resources.get(
                    resolver.referenced_resource(props.get("AuthorizerId")) or "", {}
                )
                aprops = authorizer.get("Properties") or {}
                authorizer_function = resolver.referenced_resource(aprops.get("AuthorizerUri"))
                identity_sources = tuple(aprops.get("IdentitySource") or ())
        elif kind == "AWS::ApiGatewayV2::Stage":
            stage = str(resolver.resolve(props.get("StageName")))
    if stage is None:
        raise TemplateError(f"{api_id}: the WebSocket API has no Stage")
    for required in ("$connect", "$disconnect", "$default"):
        if required not in routes:
            raise TemplateError(f"{api_id}: the WebSocket API has no {required} route")
    return WebSocketApiSpec(
        logical_id=api_id,
        route_selection_expression=expression,
        stage=stage,
        routes=routes,
        authorizer_function_id=authorizer_function,
        identity_sources=identity_sources,
    )
