import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

export interface Notice {
  id: number;
  text: string;
  severity: "error" | "warning" | "info" | "success";
}

/** How long a notice stays, in ms: errors a little longer, to be read. */
export const NOTICE_MS = { error: 8000, other: 5000 } as const;

export interface UiState {
  notices: Notice[];
  nextId: number;
}

const initialState: UiState = { notices: [], nextId: 1 };

const slice = createSlice({
  name: "ui",
  initialState,
  reducers: {
    /** Tell the user something in words (errors are never swallowed). */
    noticeShown(state, action: PayloadAction<{ text: string; severity?: Notice["severity"] }>) {
      state.notices.push({
        id: state.nextId,
        text: action.payload.text,
        severity: action.payload.severity ?? "error",
      });
      state.nextId += 1;
      if (state.notices.length > 5) state.notices.shift();
    },
    noticeDismissed(state, action: PayloadAction<number>) {
      state.notices = state.notices.filter((n) => n.id !== action.payload);
    },
  },
});

export const { noticeShown, noticeDismissed } = slice.actions;
export default slice.reducer;
