import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { User } from "../api/types";
import type { GatewayStatus } from "../gateway/client";
import { gatewayEvent, sessionEnded, sessionStarted } from "./actions";

export interface AuthState {
  user: User | null;
  gateway: GatewayStatus;
  sessionId: string | null;
  /** Why the last session ended, in words (shown on the login screen). */
  endedBecause: string | null;
}

const initialState: AuthState = {
  user: null,
  gateway: "idle",
  sessionId: null,
  endedBecause: null,
};

const slice = createSlice({
  name: "auth",
  initialState,
  reducers: {
    gatewayStatus(state, action: PayloadAction<GatewayStatus>) {
      state.gateway = action.payload;
    },
    userUpdated(state, action: PayloadAction<User>) {
      if (state.user?.id === action.payload.id) state.user = { ...state.user, ...action.payload };
    },
    sessionExpired(state, action: PayloadAction<string>) {
      state.endedBecause = action.payload;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionStarted, (state, action) => {
        state.user = action.payload.user;
        state.endedBecause = null;
      })
      .addCase(sessionEnded, (state) => {
        state.user = null;
        state.sessionId = null;
        state.gateway = "closed";
      })
      .addCase(gatewayEvent, (state, action) => {
        const { t, d } = action.payload;
        if (t === "READY") {
          const ready = d as { session_id: string; user: User };
          state.sessionId = ready.session_id;
          if (ready.user) state.user = ready.user;
        } else if (t === "USER_UPDATE" && state.user?.id === (d as User).id) {
          state.user = { ...state.user, ...(d as User) };
        }
      });
  },
});

export const { gatewayStatus, userUpdated, sessionExpired } = slice.actions;
export default slice.reducer;
