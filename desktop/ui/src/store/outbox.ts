import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Snowflake } from "../api/types";
import { sessionEnded } from "./actions";

/** A message the user sent that the server has not taken yet: on its way, or refused. */
export interface OutgoingMessage {
  /** This page's own id for it (the server's id comes with its answer). */
  nonce: string;
  channelId: Snowflake;
  content: string;
  replyTo: Snowflake | null;
  status: "sending" | "failed";
  /** Why the server refused it, in words (failed only). */
  error: string | null;
}

export interface OutboxState {
  /** Per channel, in the order the user sent them. */
  byChannel: Record<Snowflake, OutgoingMessage[]>;
}

const initialState: OutboxState = { byChannel: {} };

function find(state: OutboxState, channelId: Snowflake, nonce: string) {
  return state.byChannel[channelId]?.find((m) => m.nonce === nonce);
}

function remove(state: OutboxState, channelId: Snowflake, nonce: string): void {
  const list = state.byChannel[channelId];
  if (!list) return;
  const left = list.filter((m) => m.nonce !== nonce);
  if (left.length) state.byChannel[channelId] = left;
  else delete state.byChannel[channelId];
}

type Ref = { channelId: Snowflake; nonce: string };

const slice = createSlice({
  name: "outbox",
  initialState,
  reducers: {
    sendQueued(state, action: PayloadAction<Omit<OutgoingMessage, "status" | "error">>) {
      (state.byChannel[action.payload.channelId] ??= []).push({
        ...action.payload,
        status: "sending",
        error: null,
      });
    },
    sendStarted(state, action: PayloadAction<Ref>) {
      const held = find(state, action.payload.channelId, action.payload.nonce);
      if (held) {
        held.status = "sending";
        held.error = null;
      }
    },
    sendFailed(state, action: PayloadAction<Ref & { error: string }>) {
      const held = find(state, action.payload.channelId, action.payload.nonce);
      if (held) {
        held.status = "failed";
        held.error = action.payload.error;
      }
    },
    /** Delivered (the message itself is in the messages slice now), or discarded. */
    sendDone(state, action: PayloadAction<Ref>) {
      remove(state, action.payload.channelId, action.payload.nonce);
    },
  },
  extraReducers: (builder) => {
    builder.addCase(sessionEnded, () => initialState);
  },
});

export const { sendQueued, sendStarted, sendFailed, sendDone } = slice.actions;
export default slice.reducer;
