import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { Provider } from "react-redux";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Channel, Message } from "../api/types";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { Outbox } from "../services/outbox";
import { gatewayEvent, sessionStarted } from "../store/actions";
import { makeStore } from "../store/index";
import Composer from "./Composer";

afterEach(cleanup);

const DM: Channel = { id: "10", type: 1, name: "bob" };
const BOB_SAID: Message = {
  id: "5",
  channel_id: DM.id,
  author: { id: "200", username: "bob" },
  content: "hi",
  timestamp: "2026-12-07T00:00:00Z",
  edited_timestamp: null,
  reactions: [],
};

/** A composer in a DM whose server keeps every send pending until the test answers it. */
function shown() {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: "100", username: "me" } }));
  store.dispatch(gatewayEvent({ t: "CHANNEL_CREATE", d: DM, me: "100" }));
  const answers: ((m: Message) => void)[] = [];
  const sendMessage = vi.fn<
    (channel: string, body: { content: string; reply_to?: string }) => Promise<Message>
  >(() => new Promise<Message>((answer) => answers.push(answer)));
  const typing = vi.fn(async () => {});
  const client = {
    ep: { sendMessage, typing },
    outbox: new Outbox(store, { sendMessage }),
    notify: vi.fn(),
  } as unknown as ParleyClient;

  function Harness() {
    const [replyTo, setReplyTo] = useState<Message | null>(null);
    return (
      <>
        <button onClick={() => setReplyTo(BOB_SAID)}>Reply</button>
        <Composer
          channel={DM}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(null)}
          onEditLast={() => {}}
        />
      </>
    );
  }
  render(
    <Provider store={store}>
      <ClientContext.Provider value={client}>
        <Harness />
      </ClientContext.Provider>
    </Provider>,
  );
  const box = screen.getByTestId("composer") as HTMLTextAreaElement;
  return { box, sendMessage, answers, store };
}

describe("Composer", () => {
  it("keeps what is typed while an earlier send is still on its way", async () => {
    const user = userEvent.setup();
    const { box, sendMessage, answers } = shown();
    await user.type(box, "human 1{Enter}");
    expect(box.value).toBe("");
    await user.type(box, "human 2");
    // The first send answers only now, with the next message half typed.
    answers[0]({ ...BOB_SAID, id: "6", author: { id: "100", username: "me" }, content: "human 1" });
    await vi.waitFor(() => expect(sendMessage).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(box.value).toBe("human 2");
    await user.type(box, "{Enter}");
    await vi.waitFor(() => expect(sendMessage).toHaveBeenCalledTimes(2));
    expect(sendMessage.mock.calls.map(([, body]) => body.content)).toEqual(["human 1", "human 2"]);
  });

  it("focuses the composer when Reply is chosen, and sends the reply to that message", async () => {
    const user = userEvent.setup();
    const { box, sendMessage } = shown();
    await user.click(screen.getByRole("button", { name: "Reply" }));
    expect(screen.getByTestId("replying-to").textContent).toContain("bob");
    expect(document.activeElement).toBe(box);
    await user.keyboard("yes{Enter}");
    await vi.waitFor(() => expect(sendMessage).toHaveBeenCalledTimes(1));
    expect(sendMessage.mock.calls[0][1]).toEqual({ content: "yes", reply_to: BOB_SAID.id });
    expect(screen.queryByTestId("replying-to")).toBeNull();
  });
});
