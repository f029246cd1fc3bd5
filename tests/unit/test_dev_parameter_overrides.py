"""`parley dev --parameter-overrides KEY=VALUE …`: template parameters, as `sam deploy` takes
them, reach the settings; anything else is refused before the stack starts."""

from __future__ import annotations

import argparse

import pytest

from emulator.cli import _dev_parser
from emulator.config import DevSettings


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _dev_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["dev", *argv])


def test_overrides_are_key_value_pairs_and_a_value_may_hold_equals_signs() -> None:
    args = _parse("--parameter-overrides", 'OidcProviders={"a": "b=c"}', "Empty=")
    assert args.parameter_overrides == [("OidcProviders", '{"a": "b=c"}'), ("Empty", "")]
    settings = DevSettings(parameter_overrides=dict(args.parameter_overrides))
    assert settings.parameter_overrides == {"OidcProviders": '{"a": "b=c"}', "Empty": ""}


@pytest.mark.parametrize("bad", ["NoEqualsSign", "=value"])
def test_an_override_without_a_name_is_refused(bad: str) -> None:
    with pytest.raises(SystemExit) as exited:
        _parse("--parameter-overrides", bad)
    assert exited.value.code == 2
