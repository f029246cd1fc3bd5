"""The frame-size guard follows RFC 6455 frame boundaries across any chunking."""

from __future__ import annotations

import struct

import pytest

from emulator.frames import FrameSizeGuard

KIB = 1024


def frame(payload_len: int, *, masked: bool = True, opcode: int = 0x1) -> bytes:
    head = bytes([0x80 | opcode])
    mask_bit = 0x80 if masked else 0
    if payload_len < 126:
        head += bytes([mask_bit | payload_len])
    elif payload_len < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", payload_len)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", payload_len)
    return head + (b"\x01\x02\x03\x04" if masked else b"") + b"x" * payload_len


def feed_in_chunks(guard: FrameSizeGuard, data: bytes, size: int) -> bool:
    ok = True
    for i in range(0, len(data), size):
        ok = guard.feed(data[i : i + size])
    return ok


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000, 1 << 20])
@pytest.mark.parametrize(
    ("lengths", "allowed"),
    [
        ([0, 5, 125], True),
        ([126, 32 * KIB - 1], True),
        ([32 * KIB], True),
        ([10, 32 * KIB, 10], True),
        ([32 * KIB + 1], False),
        ([10, 20, 32 * KIB + 1], False),
        ([70 * KIB], False),
    ],
)
def test_frames_over_the_limit_are_caught_wherever_chunks_split(
    chunk: int, lengths: list[int], allowed: bool
) -> None:
    guard = FrameSizeGuard(32 * KIB)
    data = b"".join(frame(n) for n in lengths)
    assert feed_in_chunks(guard, data, chunk) is allowed
    assert guard.violated is not allowed


def test_unmasked_and_control_frames_are_followed() -> None:
    guard = FrameSizeGuard(32 * KIB)
    data = frame(3, masked=False) + frame(0, opcode=0x9) + frame(32 * KIB, masked=False)
    assert guard.feed(data)
    assert not guard.feed(frame(32 * KIB + 1, masked=False))


def test_a_violation_sticks() -> None:
    guard = FrameSizeGuard(10)
    assert not guard.feed(frame(11))
    assert not guard.feed(frame(1))
