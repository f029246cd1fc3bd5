"""The media node's settings: its namespace is closed, its values validate themselves."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from emulator.media import node_environment
from media_nodes.aiortc_hooks import IcePolicy
from media_nodes.config import (
    EC2_METADATA,
    MediaNodeSettings,
    PortRange,
    UnknownSettings,
    check_environment,
    unknown_names,
)


def test_unknown_names_are_those_of_the_namespace_no_field_reads() -> None:
    environ = {
        "PARLEY_MEDIA_PORT": "7000",
        "PARLEY_MEDIA_RTP_PORTS": "40000-40999",
        "PARLEY_MEDIA_PUBLIC_IP": "ec2-metadata",
        "PARLEY_MEDIA_DRAIN_SECONDS": "30",
        "PARLEY_MEDIA_RTP_PORT": "40000-40999",
        "PARLEY_TABLE_NAME": "t",
        "PARLEY_PUBLIC_URL": "http://x",  # another process's name: not the node's namespace
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1",
    }
    assert unknown_names(environ) == ["PARLEY_MEDIA_DRAIN_SECONDS", "PARLEY_MEDIA_RTP_PORT"]


def test_the_start_up_check_names_each_unknown_name() -> None:
    with pytest.raises(UnknownSettings, match="PARLEY_MEDIA_HOSTNAME") as caught:
        check_environment({"PARLEY_MEDIA_HOSTNAME": "x", "PARLEY_MEDIA_HOST": "0.0.0.0"})
    assert "PARLEY_MEDIA_HOST," in str(caught.value)  # and says what it does read
    check_environment({"PARLEY_MEDIA_HOST": "0.0.0.0"})


def test_the_environment_sets_the_new_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_MEDIA_RTP_PORTS", "40000-40999")
    monkeypatch.setenv("PARLEY_MEDIA_PUBLIC_IP", "ec2-metadata")
    monkeypatch.setenv("PARLEY_MEDIA_ICE_HOST_ADDRESSES", '["10.0.0.5"]')
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")
    settings = MediaNodeSettings()
    assert settings.rtp_ports == PortRange(40000, 40999)
    assert settings.public_ip == EC2_METADATA and settings.public_ip_pending
    assert settings.ice_host_addresses == ["10.0.0.5"]
    assert settings.ec2_metadata_endpoint == "http://127.0.0.1:9"


@pytest.mark.parametrize("text", ["40000", "40999-40000", "80-90", "a-b", "40000-70000"])
def test_a_bad_port_range_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="rtp_ports"):
        MediaNodeSettings(rtp_ports=text)


def test_a_port_range_is_inclusive() -> None:
    ports = PortRange.parse("40000-40002")
    assert list(ports) == [40000, 40001, 40002] and len(ports) == 3
    assert 40002 in ports and 40003 not in ports and str(ports) == "40000-40002"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"public_ip": "not-an-address"}, "public_ip"),
        ({"host": "localhost"}, "host"),
        ({"public_ip": "203.0.113.7", "ice_host_addresses": []}, "exactly one"),
        ({"public_ip": "203.0.113.7", "ice_host_addresses": ["10.0.0.1", "10.0.0.2"]}, "one"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_inconsistent_settings_are_refused(overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        MediaNodeSettings(**overrides)  # type: ignore[arg-type]


def test_the_ice_policy_maps_one_address_of_the_same_family() -> None:
    assert IcePolicy(("10.0.0.5",), "203.0.113.7").announced == "203.0.113.7"
    with pytest.raises(ValueError, match="family"):
        IcePolicy(("10.0.0.5",), "2001:db8::1")
    with pytest.raises(ValueError, match="exactly one"):
        IcePolicy((), "203.0.113.7")
    assert IcePolicy(("127.0.0.2",), "127.0.0.3").loopback_only
    assert not IcePolicy(("10.0.0.5",), "127.0.0.3").loopback_only
    assert not IcePolicy(()).loopback_only  # every interface


def test_the_local_node_gets_none_of_the_functions_parley_names() -> None:
    env = node_environment(
        {
            "PARLEY_PUBLIC_URL": "http://127.0.0.1:3000",
            "PARLEY_DATA_DIR": "/tmp/x",
            "PARLEY_CONNECTIONS_SCHEME": "http",
            "PARLEY_TABLE_NAME": "parley-local-Table",
            "PARLEY_MEDIA_HEARTBEAT_TTL_S": "3",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "PATH": "/usr/bin",
        }
    )
    assert env == {
        "PARLEY_TABLE_NAME": "parley-local-Table",
        "PARLEY_MEDIA_HEARTBEAT_TTL_S": "3",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "PATH": "/usr/bin",
    }
