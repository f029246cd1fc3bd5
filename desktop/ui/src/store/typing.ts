import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Message, Snowflake } from "../api/types";
import { gatewayEvent, sessionEnded } from "./actions";

/** How long a TYPING_START lasts without another (Discord's 10 s). */
export const TYPING_MS = 10_000;

export interface TypingState {
  /** channel → user → when the indicator expires (epoch ms). */
  byChannel: Record<Snowflake, Record<Snowflake, number>>;
}

const initialState: TypingState = { byChannel: {} };

const slice = createSlice({
  name: "typing",
  initialState,
  reducers: {
    typingExpired(state, action: PayloadAction<number>) {
      for (const [channelId, users] of Object.entries(state.byChannel)) {
        for (const [userId, until] of Object.entries(users))
          if (until <= action.payload) delete users[userId];
        if (Object.keys(users).length === 0) delete state.byChannel[channelId];
      }
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(gatewayEvent, (state, action) => {
        const { t, d, me, at } = action.payload;
        if (t === "TYPING_START") {
          const e = d as { channel_id: Snowflake; user_id: Snowflake };
          if (e.user_id === me) return;
          (state.byChannel[e.channel_id] ??= {})[e.user_id] = (at ?? 0) + TYPING_MS;
        } else if (t === "MESSAGE_CREATE") {
          const m = d as Message;
          const users = state.byChannel[m.channel_id];
          if (users && m.author) delete users[m.author.id];
        }
      });
  },
});

export const { typingExpired } = slice.actions;
export default slice.reducer;

/** Who is typing in a channel now. */
export function typingUsers(state: TypingState, channelId: Snowflake, now: number): Snowflake[] {
  return Object.entries(state.byChannel[channelId] ?? {})
    .filter(([, until]) => until > now)
    .map(([userId]) => userId);
}
