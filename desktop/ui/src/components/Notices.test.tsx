import { act, cleanup, render, screen } from "@testing-library/react";
import { Provider } from "react-redux";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeStore } from "../store/index";
import { NOTICE_MS, noticeShown } from "../store/ui";
import Notices from "./Notices";

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("Notices", () => {
  it("lets each notice go by itself, an error a little later, each on its own clock", () => {
    vi.useFakeTimers();
    const store = makeStore();
    render(
      <Provider store={store}>
        <Notices />
      </Provider>,
    );
    act(() => {
      store.dispatch(noticeShown({ text: "Could not send" }));
    });
    act(() => vi.advanceTimersByTime(NOTICE_MS.other - 100));
    act(() => {
      store.dispatch(noticeShown({ text: "Saved", severity: "success" }));
    });
    expect(screen.getAllByRole("alert")).toHaveLength(2);
    act(() => vi.advanceTimersByTime(NOTICE_MS.error - NOTICE_MS.other + 200));
    // The error went at its own time, though another notice came meanwhile.
    expect(screen.queryByText("Could not send")).toBeNull();
    expect(screen.getByText("Saved")).toBeTruthy();
    act(() => vi.advanceTimersByTime(NOTICE_MS.other));
    expect(screen.queryAllByRole("alert")).toHaveLength(0);
  });
});
