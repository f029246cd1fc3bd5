"""Logs, metrics and traces for every Parley process, through Powertools.

Every Lambda handler is wrapped once, with :func:`instrumented` (docs/observability.md):

- **Logger**: JSON lines, one per line, with Powertools' Lambda context keys
  (``function_request_id``…), the API Gateway request id as ``correlation_id``, and two keys of
  Parley's own on every line of the invocation: ``route`` (the HTTP API's or the WebSocket API's
  route key; a stream or schedule consumer's own function name) and ``user_id`` (the JWT's
  ``sub`` on the HTTP API, the ``$connect`` authorizer's user on the WebSocket API; absent
  when nobody is signed in).
- **Metrics** (CloudWatch EMF, printed to stdout and flushed after every invocation): the names
  in :class:`Metric`, in ``POWERTOOLS_METRICS_NAMESPACE`` with the ``service`` dimension, plus
  Powertools' ``ColdStart``. The Grafana dashboard (iac/observability) reads exactly these.
- **Tracer** (X-Ray): the handler's segment, and boto3/pynamodb/requests calls as subsegments.
  It is on only inside Lambda (``LAMBDA_TASK_ROOT`` set, not SAM's or Chalice's local runners)
  unless ``POWERTOOLS_TRACE_DISABLED`` says otherwise: Powertools' own rule. A process where it
  is off (the emulator, the tests) never builds it, so never imports the X-Ray SDK: the SDK's
  recorder opens two X-Ray clients at import outside Lambda, half a second of every cold start
  for a tracer that then records nothing.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (set by the template), the level from
``POWERTOOLS_LOG_LEVEL``.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import strtobool
from aws_lambda_powertools.utilities.typing import LambdaContext

__all__ = [
    "DEFAULT_NAMESPACE",
    "Metric",
    "count",
    "instrumented",
    "invocation_keys",
    "is_instrumented",
    "logger",
    "metrics",
    "record_ms",
    "tracer",
    "tracing_enabled",
]

#: The template's ``POWERTOOLS_METRICS_NAMESPACE`` (a test holds them equal). A process without
#: the variable (tests, tools) still emits valid EMF: Powertools refuses a blob with no namespace,
#: and its cold-start metric would fail the first invocation.
DEFAULT_NAMESPACE = "Parley"


def tracing_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a Powertools ``Tracer`` built in this environment would trace.

    Its rule, read from the same variables: inside Lambda (``LAMBDA_TASK_ROOT``), not under
    ``sam local`` or Chalice's local mode, and ``POWERTOOLS_TRACE_DISABLED`` not true.
    """
    if strtobool(environ.get(constants.TRACER_DISABLED_ENV) or "false"):
        return False
    if not environ.get(constants.LAMBDA_TASK_ROOT_ENV):
        return False
    return not (environ.get(constants.SAM_LOCAL_ENV) or environ.get(constants.CHALICE_LOCAL_ENV))


#: The libraries whose calls the trace shows as subsegments, each patched once it is imported:
#: at cold start for what the handler imports, on first use for what it imports later
#: (requests, for an OpenID login or a call to a media node). Powertools' default patches every
#: library the X-Ray SDK knows, which imports each one that is installed, used or not. boto3
#: stands for botocore (the SDK patches botocore's client for it): Parley makes its AWS clients
#: with boto3 or pynamodb, and botocore itself is imported by more than its clients.
TRACED_LIBRARIES = ("boto3", "pynamodb", "requests")


def _tracer() -> Tracer:
    """Powertools' tracer, patching each of :data:`TRACED_LIBRARIES` when it is imported."""
    import wrapt  # the X-Ray SDK's own dependency, already imported with it

    built = Tracer(auto_patch=False)
    for library in TRACED_LIBRARIES:
        wrapt.register_post_import_hook(functools.partial(_patch, built, library), library)
    return built


def _patch(built: Tracer, library: str, _module: object) -> None:
    built.patch(modules=[library])


logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE)
#: Built (the X-Ray SDK imported) at cold start when tracing is on, as Lambda's init phase is
#: the place for it; ``None`` where it would only be switched off.
tracer: Tracer | None = _tracer() if tracing_enabled() else None

# Most invocations record no metric of their own (a GET answered 200): an empty flush is normal,
# not worth Powertools' per-process warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


class Metric(StrEnum):
    """Every metric a function emits: the one list the dashboard, the alarms and the docs use."""

    MESSAGES_CREATED = "MessagesCreated"
    DELIVERIES = "Deliveries"
    DELIVERY_FAILURES = "DeliveryFailures"
    GONE_CONNECTIONS = "GoneConnections"
    FANOUT_LATENCY = "FanoutLatency"
    CLIENT_ERRORS = "ClientErrors"
    SERVER_ERRORS = "ServerErrors"
    GATEWAY_ERRORS = "GatewayErrors"


def count(metric: Metric, value: int = 1) -> None:
    """Add to a count metric of this invocation (nothing is recorded for zero)."""
    if value:
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)


def record_ms(metric: Metric, value: float) -> None:
    """Record one duration sample, in milliseconds."""
    metrics.add_metric(name=metric.value, unit=MetricUnit.Milliseconds, value=round(value, 3))


def invocation_keys(event: Any, function_name: str) -> dict[str, str]:
    """The ``route`` and ``user_id`` of one invocation, from its event.

    HTTP API (payload 2.0): ``requestContext.routeKey`` and the JWT authorizer's ``sub``.
    WebSocket API: ``requestContext.routeKey`` and the ``$connect`` authorizer's ``user_id``
    (kept in the connection's context). Anything else (a stream batch, a schedule) is named
    after the function itself.
    """
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    if not isinstance(context, Mapping) or not context.get("routeKey"):
        return {"route": function_name}
    keys = {"route": str(context["routeKey"])}
    authorizer = context.get("authorizer")
    if isinstance(authorizer, Mapping):
        jwt = authorizer.get("jwt")
        claims = jwt.get("claims") if isinstance(jwt, Mapping) else None
        user = (
            claims.get("sub")
            if isinstance(claims, Mapping)
            # the names shared.gateway.router.authorized_user accepts, in its order
            else authorizer.get("user_id")
            or authorizer.get("userId")
            or authorizer.get("principalId")
        )
        if user:
            keys["user_id"] = str(user)
    return keys


def _count_http_errors(event: Any, response: Any) -> None:
    """HTTP API answers: 4xx is a ClientError, 5xx a ServerError (WebSocket routes are not)."""
    if not isinstance(event, Mapping) or event.get("version") != "2.0":
        return
    status = response.get("statusCode") if isinstance(response, Mapping) else None
    if isinstance(status, int) and 400 <= status < 500:
        count(Metric.CLIENT_ERRORS)
    elif isinstance(status, int) and status >= 500:
        count(Metric.SERVER_ERRORS)


R = TypeVar("R")
Handler = Callable[[dict[str, Any], LambdaContext], R]
#: Every handler :func:`instrumented` made (a test checks each function of the template is one).
_INSTRUMENTED: set[Callable[..., Any]] = set()


def is_instrumented(handler: Callable[..., Any]) -> bool:
    """Whether this handler came out of :func:`instrumented`."""
    return handler in _INSTRUMENTED


def instrumented(handler: Handler[R]) -> Handler[R]:
    """A Lambda handler with Parley's logging keys, its metrics flushed and its trace segment.

    A handler that raises counts as a ``ServerErrors`` (its metrics are still flushed) and the
    exception goes on to Lambda, which retries or reports it as before; except an authorizer's
    refusal, the exception whose message is ``Unauthorized`` (API Gateway's own contract: it
    answers 401), which is a ``ClientErrors``.
    """

    @functools.wraps(handler)
    def with_keys(event: dict[str, Any], context: LambdaContext) -> R:
        logger.append_keys(**invocation_keys(event, context.function_name))
        try:
            response = handler(event, context)
        except Exception as exc:
            count(Metric.CLIENT_ERRORS if str(exc) == "Unauthorized" else Metric.SERVER_ERRORS)
            raise
        _count_http_errors(event, response)
        return response

    logged = logger.inject_lambda_context(
        with_keys, correlation_id_path="requestContext.requestId", clear_state=True
    )
    measured = metrics.log_metrics(logged, capture_cold_start_metric=True)
    traced: Handler[R] = tracer.capture_lambda_handler(measured) if tracer else measured
    _INSTRUMENTED.add(traced)
    return traced
