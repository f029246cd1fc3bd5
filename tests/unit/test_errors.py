"""The error tree: one status table walked through the MRO, one CONTRACT body shape."""

from __future__ import annotations

import pytest

from shared.errors import (
    HTTP_STATUS,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ParleyError,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    error_body,
    status_for,
)


class UnknownGuild(NotFound):
    code = "unknown_guild"


class DeepUnknownGuild(UnknownGuild):
    pass


class CustomError(ParleyError):
    """A subclass the table does not name: it inherits the base's 400."""


class ConflictingNotFound(Conflict, NotFound):
    """The nearest class in the MRO wins: Conflict comes first."""


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ParleyError("x"), 400, "error"),
        (Invalid("x"), 400, "invalid"),
        (Unauthorized("x"), 401, "unauthorized"),
        (Forbidden("x"), 403, "forbidden"),
        (NotFound("x"), 404, "not_found"),
        (Conflict("x"), 409, "conflict"),
        (PayloadTooLarge("x"), 413, "payload_too_large"),
        (RateLimited("x", retry_after=1.5), 429, "rate_limited"),
        (Unavailable("x"), 503, "unavailable"),
        (UnknownGuild("x"), 404, "unknown_guild"),
        (DeepUnknownGuild("x"), 404, "unknown_guild"),
        (CustomError("x"), 400, "error"),
        (ConflictingNotFound("x"), 409, "conflict"),
    ],
)
def test_status_and_code(error: ParleyError, status: int, code: str) -> None:
    assert status_for(error) == status
    assert error.code == code
    assert error_body(error)["code"] == code


def test_every_contract_status_is_in_the_table() -> None:
    assert {400, 401, 403, 404, 409, 413, 429} <= set(HTTP_STATUS.values())
    assert all(issubclass(cls, ParleyError) for cls in HTTP_STATUS)


def test_status_follows_the_table_not_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(HTTP_STATUS, UnknownGuild, 410)
    assert status_for(DeepUnknownGuild("x")) == 410
    assert status_for(NotFound("x")) == 404


def test_code_can_be_given_per_instance_without_changing_the_class() -> None:
    error = Invalid("Bad cursor.", code="bad_cursor")
    assert error.code == "bad_cursor"
    assert Invalid.code == "invalid"
    assert Invalid("other").code == "invalid"
    assert status_for(error) == 400


@pytest.mark.parametrize(
    ("error", "body"),
    [
        (NotFound("No such guild."), {"code": "not_found", "message": "No such guild."}),
        (
            Invalid("Bad body.", errors={"body.name": "required"}),
            {"code": "invalid", "message": "Bad body.", "errors": {"body.name": "required"}},
        ),
        # An empty details mapping is left out rather than sent as {}.
        (Invalid("Bad body.", errors={}), {"code": "invalid", "message": "Bad body."}),
        (
            RateLimited("Slow down.", retry_after=2.25),
            {"code": "rate_limited", "message": "Slow down.", "errors": {"retry_after": 2.25}},
        ),
    ],
)
def test_error_body_is_the_contract_shape(error: ParleyError, body: dict[str, object]) -> None:
    assert error_body(error) == body


def test_message_is_the_exception_text() -> None:
    error = Forbidden("You cannot do that.")
    assert str(error) == error.message == "You cannot do that."


def test_rate_limited_keeps_retry_after_and_headers() -> None:
    error = RateLimited("Slow down.", retry_after=0.5, headers={"X-RateLimit-Bucket": "b"})
    assert error.retry_after == 0.5
    assert error.headers == {"X-RateLimit-Bucket": "b"}
    assert RateLimited("Slow down.", retry_after=1).headers == {}


def test_errors_are_exceptions_caught_as_parley_errors() -> None:
    with pytest.raises(ParleyError) as caught:
        raise UnknownGuild("gone")
    assert isinstance(caught.value, NotFound)
    assert status_for(caught.value) == 404
