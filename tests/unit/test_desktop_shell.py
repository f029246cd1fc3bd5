"""The desktop shell's pure parts: Chromium flags, remembered state, page URL, mic policy, and
the bridge's server choice and per-server sessions."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from desktop.connection import ServerChoice
from desktop.flags import LOOPBACK_ICE, MEDIA_AUTO_GRANT, chromium_flags, without_media_auto_grant
from desktop.notify import MAX_BODY, MAX_TITLE
from desktop.permissions import MediaPermissionPolicy
from desktop.shell import Bridge, ShellOptions, choose_local_ui, page_url
from desktop.state import Geometry, ShellState


def test_flags_as_root_add_no_sandbox_and_keep_mdns_candidates_off() -> None:
    flags = shlex.split(chromium_flags("", as_root=True))
    assert "--no-sandbox" in flags
    assert "--disable-features=WebRtcHideLocalIpsWithMdns" in flags


def test_flags_let_voice_reach_a_media_node_on_this_machine() -> None:
    flags = shlex.split(chromium_flags(LOOPBACK_ICE, as_root=False))
    assert flags.count(LOOPBACK_ICE) == 1  # added once, kept once if the user set it too
    assert LOOPBACK_ICE in shlex.split(chromium_flags("", as_root=True))


def test_flags_not_root_leave_the_sandbox_on() -> None:
    assert "--no-sandbox" not in shlex.split(chromium_flags("", as_root=False))


def test_flags_merge_an_existing_disable_features_into_one_switch() -> None:
    flags = shlex.split(
        chromium_flags("--disable-features=Foo --disable-gpu --no-sandbox", as_root=True)
    )
    disables = [f for f in flags if f.startswith("--disable-features=")]
    # Chromium keeps only the last copy of a switch: two would lose one list.
    assert disables == ["--disable-features=Foo,WebRtcHideLocalIpsWithMdns"]
    assert flags.count("--no-sandbox") == 1
    assert "--disable-gpu" in flags


def test_flags_never_carry_the_media_auto_grant() -> None:
    assert MEDIA_AUTO_GRANT not in chromium_flags(f"{MEDIA_AUTO_GRANT} --x", as_root=False)
    assert without_media_auto_grant(f"--a {MEDIA_AUTO_GRANT} --b") == "--a --b"


def test_state_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "parley" / "desktop.json"
    state = ShellState(
        geometry=Geometry(900, 700, 10, 20),
        sessions={"http://a.test": '{"user":1}'},
        server="http://a.test",
        gateway="ws://a.test:3001/",
    )
    state.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    loaded = ShellState.load(path)
    assert loaded == state


def test_broken_or_hostile_state_gives_usable_defaults(tmp_path: Path) -> None:
    path = tmp_path / "desktop.json"
    path.write_text("{not json")
    assert ShellState.load(path) == ShellState()
    path.write_text(
        json.dumps({"geometry": {"width": 5, "height": 10**9}, "sessions": {"x": 7}, "gateway": 1})
    )
    loaded = ShellState.load(path)
    assert (loaded.geometry.width, loaded.geometry.height) == (640, 10_000)
    assert loaded.sessions == {} and loaded.gateway is None
    # An older file's single session: its server cannot be known, so it is not kept.
    path.write_text(json.dumps({"server": "http://a.test", "session": '{"user":1}'}))
    assert ShellState.load(path).sessions == {}
    path.write_text(json.dumps({"geometry": {"bogus": 1}}))
    assert ShellState.load(path).geometry == Geometry()
    assert ShellState.load(tmp_path / "missing.json") == ShellState()


def test_page_url_is_the_server_ui_or_the_local_ui_and_never_names_the_server() -> None:
    assert page_url(ShellOptions(server="http://h:3000/"), None) == "http://h:3000/"
    local = page_url(
        ShellOptions(server="http://h:3000", gateway="ws://h:3001/"), "http://127.0.0.1:5555"
    )
    assert local == "http://127.0.0.1:5555/"


class _Shell:
    """A bridge over a state file, with the user's answers and the switches it made."""

    def __init__(self, tmp_path: Path, answer: bool) -> None:
        self.asked: list[tuple[str, str | None]] = []
        self.switched: list[ServerChoice] = []
        self.path = tmp_path / "desktop.json"
        self.state = ShellState(server="http://a.test:3000")

        def confirm(server: str, gateway: str | None) -> bool:
            self.asked.append((server, gateway))
            return answer

        self.bridge = Bridge(self.state, self.path, confirm, self.switched.append)


def test_bridge_switches_server_only_when_the_user_confirms(tmp_path: Path) -> None:
    no = _Shell(tmp_path, answer=False)
    assert no.bridge.choose_server("http://b.test:3000", None) is False
    assert no.asked == [("http://b.test:3000", None)] and no.switched == []
    assert no.bridge.connection() == {"server": "http://a.test:3000", "gateway": None}
    assert not no.path.exists()

    yes = _Shell(tmp_path, answer=True)
    assert yes.bridge.choose_server("HTTP://B.test:3000/some/path", "ws://b.test:3001/")
    assert yes.switched == [ServerChoice("http://b.test:3000", "ws://b.test:3001/")]
    assert yes.bridge.connection() == {
        "server": "http://b.test:3000",
        "gateway": "ws://b.test:3001/",
    }
    assert ShellState.load(yes.path).server == "http://b.test:3000"


@pytest.mark.parametrize(
    ("server", "gateway"),
    [
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("http://someone@b.test", None),
        ("http://b.test:99999", None),
        ("b.test", None),
        ("http://b.test", "http://b.test:3001/"),
        ("http://b.test", "ws://user@b.test/"),
    ],
)
def test_bridge_never_asks_about_what_is_not_a_server(
    tmp_path: Path, server: str, gateway: str | None
) -> None:
    shell = _Shell(tmp_path, answer=True)
    assert shell.bridge.choose_server(server, gateway) is False
    assert shell.asked == [] and shell.switched == []


def test_bridge_keeps_a_session_per_server(tmp_path: Path) -> None:
    shell = _Shell(tmp_path, answer=True)
    shell.bridge.save_session('{"server":"http://a.test:3000"}')
    assert shell.bridge.load_session() == '{"server":"http://a.test:3000"}'
    shell.bridge.choose_server("http://b.test:3000", None)
    assert shell.bridge.load_session() is None  # a's tokens are not handed to b's page
    shell.bridge.save_session('{"server":"http://b.test:3000"}')
    shell.bridge.save_session(None)
    assert ShellState.load(shell.path).sessions == {
        "http://a.test:3000": '{"server":"http://a.test:3000"}'
    }


def test_microphone_is_asked_once_per_origin_and_other_permissions_denied() -> None:
    asked: list[tuple[str, str]] = []

    def ask(origin: str, what: str) -> bool:
        asked.append((origin, what))
        return origin == "http://127.0.0.1:3000"

    policy = MediaPermissionPolicy(ask=ask)
    assert policy.decide("http://127.0.0.1:3000", "microphone") is True
    assert policy.decide("http://127.0.0.1:3000", "microphone") is True
    assert policy.decide("http://evil.test", "microphone") is False
    assert policy.decide("http://127.0.0.1:3000", None) is False
    assert asked == [("http://127.0.0.1:3000", "microphone"), ("http://evil.test", "microphone")]


def test_an_unreachable_server_falls_back_to_the_bundled_ui(tmp_path: Path) -> None:
    bundled = tmp_path / "dist"
    bundled.mkdir()
    (bundled / "index.html").write_text("<html></html>")
    options = ShellOptions(server="http://127.0.0.1:9")
    assert choose_local_ui(options, lambda _: False, bundled) == bundled
    assert choose_local_ui(options, lambda _: True, bundled) is None
    assert choose_local_ui(options, lambda _: False, tmp_path / "none") is None
    explicit = ShellOptions(server="http://x", local_ui=tmp_path)
    assert choose_local_ui(explicit, lambda _: False, bundled) == tmp_path


def test_an_off_screen_position_is_dropped_but_the_size_kept() -> None:
    assert Geometry(900, 700, -242, -18) == Geometry(900, 700, None, None)
    assert Geometry(900, 700, 10, 20).x == 10


def test_bridge_notify_hands_clipped_text_to_the_notifier_and_never_raises(
    tmp_path: Path,
) -> None:
    shown: list[tuple[str, str]] = []

    def notifier(title: str, body: str) -> bool:
        if title == "boom":
            raise RuntimeError("no notification service")
        shown.append((title, body))
        return True

    state = ShellState(server="http://a.test:3000")
    bridge = Bridge(state, tmp_path / "d.json", lambda s, g: False, lambda c: None, notifier)
    assert bridge.notify("alice (#general, Club)", "hi @bob") is True
    assert bridge.notify("t" * (MAX_TITLE + 5), "b" * (MAX_BODY + 5)) is True
    assert shown[0] == ("alice (#general, Club)", "hi @bob")
    assert (len(shown[1][0]), len(shown[1][1])) == (MAX_TITLE, MAX_BODY)
    assert shown[1][0].endswith("…")
    assert bridge.notify("boom", "") is False
    # Without a notifier (the page outside a shell that shows any), nothing is shown.
    quiet = Bridge(state, tmp_path / "d.json", lambda s, g: False, lambda c: None)
    assert quiet.notify("t", "b") is False
