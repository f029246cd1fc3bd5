"""The embedded store's collector: survivors of a full collection are left out of the next."""

from __future__ import annotations

import gc

from emulator.store_server import SurvivorFreezer


def test_survivors_of_a_full_collection_are_frozen_once() -> None:
    gc.disable()  # only the collections this test runs (gc.collect works regardless)
    before = gc.get_freeze_count()
    freezer = SurvivorFreezer()
    try:
        kept = [[n] for n in range(1000)]  # long-lived, as the store's items are
        freezer.freeze_if_due()
        assert gc.get_freeze_count() == before  # no full collection yet: nothing due
        gc.collect()
        freezer.freeze_if_due()
        frozen = gc.get_freeze_count()
        assert frozen >= before + len(kept)
        gc.collect(0)  # a young collection does not make a freeze due
        freezer.freeze_if_due()
        assert gc.get_freeze_count() == frozen
    finally:
        freezer.close()
        gc.unfreeze()
        gc.enable()
