"""Who a REST request counts against: the caller, the caller in a resource the path names, and
the user the path names (a per-target limit), each read from the verified claims and the path's
ids in their one form."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from shared.errors import Unauthorized
from shared.http import caller, caller_id, jwt_claims
from shared.limits.rest import caller_in_path, caller_subject, user_in_path

CALLER, OTHER, TARGET, CHANNEL = 11, 12, 21, 31


def app_for(path: dict[str, str], sub: str | None = str(CALLER)) -> APIGatewayHttpResolver:
    """A resolver in the middle of a request with these path parameters, signed in as ``sub``."""
    event: dict[str, Any] = {"pathParameters": path, "requestContext": {"http": {}}}
    if sub is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    app = APIGatewayHttpResolver()
    app.current_event = APIGatewayProxyEventV2(event)
    return app


def test_user_in_path_counts_what_every_caller_does_to_one_user() -> None:
    subject = user_in_path("user_id")
    first = subject(app_for({"user_id": str(TARGET)}, sub=str(CALLER)))
    second = subject(app_for({"user_id": str(TARGET)}, sub=str(OTHER)))
    assert first == second == f"user:{TARGET}"
    assert subject(app_for({"user_id": str(TARGET + 1)})) != first


def test_user_in_path_reads_the_parameter_it_names() -> None:
    path = {"user_id": str(TARGET), "recipient_id": str(OTHER)}
    assert user_in_path("recipient_id")(app_for(path)) == f"user:{OTHER}"
    assert user_in_path()(app_for(path)) == f"user:{TARGET}"


def test_me_in_the_path_is_the_caller() -> None:
    assert user_in_path()(app_for({"user_id": "@me"})) == f"user:{CALLER}"
    assert user_in_path()(app_for({"user_id": "@me"}, sub=None)) is None


@pytest.mark.parametrize("bad", ["01", "0" + str(TARGET), "-1", "x", str(1 << 63), "١٢"])
def test_an_id_in_the_wrong_form_counts_against_no_bucket(bad: str) -> None:
    # "021" and "21" would otherwise be two buckets of one user; the route answers it with 400.
    assert user_in_path()(app_for({"user_id": bad})) is None
    assert caller_in_path("channel_id")(app_for({"channel_id": bad})) is None


def test_a_route_without_the_parameter_has_no_target() -> None:
    assert user_in_path()(app_for({})) is None
    assert caller_in_path("channel_id")(app_for({"guild_id": str(CHANNEL)})) is None


def test_caller_in_path_is_one_callers_share_of_one_resource() -> None:
    subject = caller_in_path("channel_id")
    assert subject(app_for({"channel_id": str(CHANNEL)})) == f"{CALLER}:{CHANNEL}"
    assert subject(app_for({"channel_id": str(CHANNEL)}, sub=str(OTHER))) == f"{OTHER}:{CHANNEL}"
    assert subject(app_for({"channel_id": str(CHANNEL)}, sub=None)) is None


@pytest.mark.parametrize("sub", [None, "", "x", "01", "-5", str(1 << 63)])
def test_without_a_verified_caller_there_is_no_caller(sub: str | None) -> None:
    app = app_for({}, sub=sub)
    assert caller(app) is None
    assert caller_subject(app) is None
    with pytest.raises(Unauthorized):
        caller_id(app)


def test_the_caller_is_the_verified_sub_claim() -> None:
    app = app_for({}, sub=str(CALLER))
    assert jwt_claims(app) == {"sub": str(CALLER)}
    assert caller(app) == caller_id(app) == CALLER
    assert caller_subject(app) == f"user:{CALLER}"
