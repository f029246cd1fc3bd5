// Home's view of the DMs: which are unread and by how much, from the same read marks as guild
// channels (store/readState.ts).
import type { Snowflake } from "../api/types";
import { compareSnowflakes } from "../util/snowflake";
import type { RootState } from "./index";
import { isUnread } from "./readState";

/** How many messages from others a DM holds past the user's read mark: those the store has
 *  (live or loaded), at least one when the DM is unread, or its unread mentions if more. */
export function selectDmUnread(state: RootState): Record<Snowflake, number> {
  const me = state.auth.user?.id;
  const counts: Record<Snowflake, number> = {};
  for (const dm of Object.values(state.channels.dms)) {
    const mark = state.readState.byChannel[dm.id];
    if (!isUnread(dm, mark)) continue;
    const held = state.messages.byChannel[dm.id];
    const after = mark?.lastReadId;
    const fresh = (held?.ids ?? []).filter(
      (id) => held?.byId[id]?.author?.id !== me && (!after || compareSnowflakes(id, after) > 0),
    ).length;
    counts[dm.id] = Math.max(fresh, mark?.mentions ?? 0, 1);
  }
  return counts;
}

/** The unread DM messages in all, for the Home button's badge. */
export function selectDmUnreadTotal(state: RootState): number {
  return Object.values(selectDmUnread(state)).reduce((sum, n) => sum + n, 0);
}
