import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/http";
import type { Message } from "../api/types";
import { sessionStarted } from "../store/actions";
import { makeStore } from "../store/index";
import { Outbox } from "./outbox";

const CHANNEL = "10";

function stored(id: string, content: string): Message {
  return {
    id,
    channel_id: CHANNEL,
    author: { id: "100", username: "me" },
    content,
    timestamp: "2026-12-07T00:00:00Z",
    edited_timestamp: null,
    reactions: [],
  };
}

/** A server whose answers the test gives, one send at a time. */
function server() {
  const calls: { content: string; answer: (m: Message) => void; fail: (e: unknown) => void }[] = [];
  const sendMessage = vi.fn(
    (_channel: string, body: { content: string }) =>
      new Promise<Message>((answer, fail) => calls.push({ content: body.content, answer, fail })),
  );
  return { calls, sendMessage };
}

function setUp(sleep = vi.fn<(ms: number) => Promise<void>>(async () => {})) {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: "100", username: "me" } }));
  const { calls, sendMessage } = server();
  const outbox = new Outbox(store, { sendMessage }, sleep);
  const pending = () => store.getState().outbox.byChannel[CHANNEL] ?? [];
  const list = () => {
    const channel = store.getState().messages.byChannel[CHANNEL];
    return channel ? channel.ids.map((id) => channel.byId[id].content) : [];
  };
  return { store, outbox, calls, sendMessage, pending, list, sleep };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("Outbox", () => {
  it("sends one message at a time, in the order written, each shown as sending until taken", async () => {
    const { outbox, calls, pending, list } = setUp();
    const first = outbox.send(CHANNEL, { content: "one" });
    void outbox.send(CHANNEL, { content: "two" });
    await tick();
    expect(calls.map((c) => c.content)).toEqual(["one"]);
    expect(pending().map((m) => [m.content, m.status])).toEqual([
      ["one", "sending"],
      ["two", "sending"],
    ]);
    calls[0].answer(stored("1", "one"));
    await first;
    await tick();
    expect(calls.map((c) => c.content)).toEqual(["one", "two"]);
    expect(list()).toEqual(["one"]);
    calls[1].answer(stored("2", "two"));
    await tick();
    expect(list()).toEqual(["one", "two"]);
    expect(pending()).toEqual([]);
  });

  it("keeps a refused message with the reason, goes on with the next, and Retry delivers it", async () => {
    const { outbox, calls, pending, list } = setUp();
    const refused = outbox.send(CHANNEL, { content: "x".repeat(2100) });
    void outbox.send(CHANNEL, { content: "after" });
    await tick();
    calls[0].fail(
      new ApiError(400, {
        code: "content_too_long",
        message: "A message is at most 2000 characters.",
      }),
    );
    expect(await refused).toBeNull();
    expect(pending()[0]).toMatchObject({
      status: "failed",
      error: "A message is at most 2000 characters.",
    });
    await tick();
    calls[1].answer(stored("2", "after"));
    await tick();
    expect(list()).toEqual(["after"]);
    const again = outbox.retry(CHANNEL, pending()[0].nonce);
    expect(pending()[0].status).toBe("sending");
    await tick();
    calls[2].answer(stored("3", "x".repeat(2100)));
    expect(await again).not.toBeNull();
    expect(pending()).toEqual([]);
    expect(list()).toEqual(["after", "x".repeat(2100)]);
  });

  it("waits out a 429 for the retry_after it names and sends again, shown as sending", async () => {
    const sleep = vi.fn<(ms: number) => Promise<void>>(async () => {});
    const { outbox, calls, pending, list } = setUp(sleep);
    const sent = outbox.send(CHANNEL, { content: "hello" });
    await tick();
    calls[0].fail(
      new ApiError(
        429,
        { code: "rate_limited", message: "Slow down.", errors: { retry_after: 0.392 } },
        1,
      ),
    );
    await tick();
    expect(sleep).toHaveBeenCalledWith(392);
    expect(pending()[0].status).toBe("sending");
    calls[1].answer(stored("1", "hello"));
    expect((await sent)?.content).toBe("hello");
    expect(list()).toEqual(["hello"]);
    expect(pending()).toEqual([]);
  });

  it("says in words when the rate limit outlasts its retries, never the raw retry_after", async () => {
    const { outbox, calls, pending, sendMessage } = setUp();
    const sent = outbox.send(CHANNEL, { content: "hello" });
    for (let i = 0; i < 4; i += 1) {
      await tick();
      calls[i].fail(
        new ApiError(429, { code: "rate_limited", message: "", errors: { retry_after: 0.1 } }),
      );
    }
    expect(await sent).toBeNull();
    expect(sendMessage).toHaveBeenCalledTimes(4);
    const error = pending()[0].error ?? "";
    expect(error).toMatch(/too fast/);
    expect(error).not.toMatch(/retry_after/);
  });

  it("forgets a refused message the user deletes", async () => {
    const { outbox, calls, pending } = setUp();
    const sent = outbox.send(CHANNEL, { content: "gone" });
    await tick();
    calls[0].fail(new ApiError(0, {}));
    await sent;
    outbox.discard(CHANNEL, pending()[0].nonce);
    expect(pending()).toEqual([]);
  });
});
