import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GatewayClient, Op, type Frame, type GatewayOptions, type SocketLike } from "./client";

/** A WebSocket stand-in: records what the client sends; the test plays the server. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: Frame[] = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Frame);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // --- the server's side
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  frame(frame: Frame): void {
    this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent);
  }
  dispatch(t: string, s: number, d: unknown = {}): void {
    this.frame({ op: Op.Dispatch, t, s, d });
  }
  cut(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  ops(): number[] {
    return this.sent.map((f) => f.op);
  }
}

function latest(): FakeSocket {
  return FakeSocket.all[FakeSocket.all.length - 1];
}

async function flush(): Promise<void> {
  // getToken may be async: let its promise settle before the socket exists.
  await vi.advanceTimersByTimeAsync(0);
}

function makeClient(overrides: Partial<GatewayOptions> = {}) {
  const events: { t: string; d: unknown; s: number | null }[] = [];
  const errors: unknown[] = [];
  const tokens: boolean[] = [];
  const client = new GatewayClient({
    url: "ws://gw.test/",
    getToken: (fresh) => {
      tokens.push(fresh);
      return fresh ? "fresh-token" : "tok";
    },
    onDispatch: (t, d, s) => events.push({ t, d, s }),
    onError: (e) => errors.push(e),
    socketFactory: (url) => new FakeSocket(url),
    backoffBaseMs: 100,
    backoffMaxMs: 1000,
    invalidSessionDelayMs: 50,
    random: () => 0.999,
    ...overrides,
  });
  return { client, events, errors, tokens };
}

async function readyClient(overrides: Partial<GatewayOptions> = {}) {
  const made = makeClient(overrides);
  made.client.start();
  await flush();
  const socket = latest();
  socket.open();
  socket.dispatch("READY", 1, { session_id: "sess-1", heartbeat_interval: 1000, user: {} });
  return { ...made, socket };
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("connect and identify", () => {
  it("connects with the token in the query and identifies", async () => {
    const { client, events } = await readyClient();
    const socket = FakeSocket.all[0];
    expect(socket.url).toBe("ws://gw.test/?token=tok");
    expect(socket.sent[0]).toMatchObject({ op: Op.Identify, d: { token: "tok" } });
    expect(client.status).toBe("ready");
    expect(client.sessionId).toBe("sess-1");
    expect(events.map((e) => e.t)).toEqual(["READY"]);
  });
});

describe("sequence handling", () => {
  it("tracks the last s and sends it in heartbeats", async () => {
    const { client, socket } = await readyClient();
    socket.dispatch("GUILD_CREATE", 2);
    socket.dispatch("MESSAGE_CREATE", 3);
    expect(client.seq).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    const beats = socket.sent.filter((f) => f.op === Op.Heartbeat);
    expect(beats).toEqual([{ op: Op.Heartbeat, d: 3 }]);
  });

  it("applies each sequence once, ignoring a replayed duplicate", async () => {
    const { events, socket } = await readyClient();
    socket.dispatch("MESSAGE_CREATE", 2, { id: "a" });
    socket.dispatch("MESSAGE_CREATE", 2, { id: "a" });
    socket.dispatch("MESSAGE_CREATE", 3, { id: "b" });
    expect(events.map((e) => e.s)).toEqual([1, 2, 3]);
  });

  it("applies GUILD_CREATE carrying READY's s (Parley's server sends the start position)", async () => {
    const { client, events, socket } = await readyClient();
    socket.dispatch("GUILD_CREATE", 1, { id: "g1" });
    socket.dispatch("GUILD_CREATE", 1, { id: "g2" });
    socket.dispatch("MESSAGE_CREATE", 1, { id: "old" }); // an event at s 1 is a duplicate
    socket.dispatch("MESSAGE_CREATE", 4, { id: "new" });
    expect(events.map((e) => e.t)).toEqual([
      "READY",
      "GUILD_CREATE",
      "GUILD_CREATE",
      "MESSAGE_CREATE",
    ]);
    expect(events.map((e) => (e.d as { id?: string }).id)).toEqual([undefined, "g1", "g2", "new"]);
    expect(client.seq).toBe(4);
  });

  it("answers a server heartbeat request at once with the last s", async () => {
    const { socket } = await readyClient();
    socket.dispatch("MESSAGE_CREATE", 7);
    socket.frame({ op: Op.Heartbeat, d: null });
    expect(socket.sent.at(-1)).toEqual({ op: Op.Heartbeat, d: 7 });
  });

  it("keeps beating while ACKs come back, and cuts a zombie connection to resume", async () => {
    const { client, socket } = await readyClient(); // an interval of 1000 ms
    await vi.advanceTimersByTimeAsync(500);
    socket.frame({ op: Op.HeartbeatAck });
    await vi.advanceTimersByTimeAsync(500);
    socket.frame({ op: Op.HeartbeatAck }); // the last ACK: the connection goes silent now
    expect(socket.ops().filter((op) => op === Op.Heartbeat)).toHaveLength(2);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999); // within one interval of the last ACK
    expect(socket.closedWith).not.toBeNull();
    expect(client.status).not.toBe("ready");
    await flush();
    const next = latest();
    expect(next).not.toBe(socket);
    next.open();
    expect(next.sent[0]).toMatchObject({ op: Op.Resume, d: { session_id: "sess-1", seq: 1 } });
  });
});

describe("resume after a cut", () => {
  it("reconnects with backoff, resumes from the last s and replays in order", async () => {
    const { client, events, socket } = await readyClient();
    socket.dispatch("MESSAGE_CREATE", 2, { id: "m2" });
    socket.dispatch("MESSAGE_CREATE", 3, { id: "m3" });
    socket.cut();
    expect(client.status).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(50);
    expect(FakeSocket.all).toHaveLength(1); // still backing off (100 ms * jitter)
    await vi.advanceTimersByTimeAsync(100);
    const second = latest();
    expect(second).not.toBe(socket);
    second.open();
    expect(second.sent).toEqual([
      { op: Op.Resume, d: { token: "tok", session_id: "sess-1", seq: 3 } },
    ]);
    // The server replays what was missed (overlapping once), then RESUMED.
    second.dispatch("MESSAGE_CREATE", 3, { id: "m3" });
    second.dispatch("MESSAGE_CREATE", 4, { id: "m4" });
    second.dispatch("MESSAGE_UPDATE", 5, { id: "m2" });
    second.dispatch("RESUMED", 6);
    expect(events.map((e) => [e.t, e.s])).toEqual([
      ["READY", 1],
      ["MESSAGE_CREATE", 2],
      ["MESSAGE_CREATE", 3],
      ["MESSAGE_CREATE", 4],
      ["MESSAGE_UPDATE", 5],
      ["RESUMED", 6],
    ]);
    expect(client.status).toBe("ready");
    expect(client.seq).toBe(6);
  });

  it("backs off exponentially while the server stays away, up to the cap", async () => {
    const { socket } = await readyClient();
    socket.cut();
    const delays: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 6; i += 1) {
      const before = FakeSocket.all.length;
      while (FakeSocket.all.length === before) await vi.advanceTimersByTimeAsync(10);
      delays.push(Date.now() - last);
      last = Date.now();
      latest().cut(); // refused again, never opened
    }
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1010);
  });

  it("asks for a fresh token when a connection is refused before opening", async () => {
    const { tokens, socket } = await readyClient();
    socket.cut(1001); // opened before: a plain cut, the same token will do
    await vi.advanceTimersByTimeAsync(200);
    latest().cut(1006); // refused in $connect: never opened
    await vi.advanceTimersByTimeAsync(500);
    expect(tokens).toEqual([false, false, true]);
    expect(latest().url).toContain("token=fresh-token");
  });

  it("resumes at once on RECONNECT (op 7)", async () => {
    const { socket } = await readyClient();
    socket.dispatch("MESSAGE_CREATE", 2);
    socket.frame({ op: Op.Reconnect, d: null });
    expect(socket.closedWith).toBe(4900);
    await flush();
    const next = latest();
    expect(next).not.toBe(socket);
    next.open();
    expect(next.sent[0]).toMatchObject({ op: Op.Resume, d: { session_id: "sess-1", seq: 2 } });
  });
});

describe("invalid session", () => {
  it("forgets the session and identifies again", async () => {
    const { client, events, socket } = await readyClient();
    socket.cut();
    await vi.advanceTimersByTimeAsync(200);
    const second = latest();
    second.open();
    expect(second.sent[0].op).toBe(Op.Resume);
    second.frame({ op: Op.InvalidSession, d: false });
    expect(client.sessionId).toBeNull();
    expect(client.seq).toBeNull();
    await vi.advanceTimersByTimeAsync(50);
    expect(second.sent[1]).toMatchObject({ op: Op.Identify, d: { token: "tok" } });
    second.dispatch("READY", 1, { session_id: "sess-2", heartbeat_interval: 1000 });
    expect(client.sessionId).toBe("sess-2");
    // The new session's s restarts at 1 and is applied, not dropped as a duplicate.
    second.dispatch("MESSAGE_CREATE", 2);
    expect(events.map((e) => e.s)).toEqual([1, 1, 2]);
  });

  it("identifies on a reconnect after INVALID_SESSION left no session", async () => {
    const { socket } = await readyClient();
    socket.frame({ op: Op.InvalidSession, d: false });
    socket.cut();
    await vi.advanceTimersByTimeAsync(200);
    latest().open();
    expect(latest().sent[0].op).toBe(Op.Identify);
  });
});

describe("when no token can be had", () => {
  it("keeps retrying while the server cannot be reached for a refresh", async () => {
    let calls = 0;
    const { client } = makeClient({
      getToken: () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error("unreachable"), { status: 0 });
        return "tok";
      },
    });
    client.start();
    await flush();
    expect(client.status).toBe("reconnecting");
    expect(FakeSocket.all).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(3);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("stops and says so when the session is over (401)", async () => {
    const { client, errors } = makeClient({
      getToken: () => {
        throw Object.assign(new Error("Your session has expired."), { status: 401 });
      },
    });
    client.start();
    await flush();
    expect(client.status).toBe("closed");
    expect(errors).toEqual([
      { code: "unauthorized", message: "Your session has expired.", status: 401 },
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(0);
  });
});

describe("errors and client ops", () => {
  it("surfaces op 12 ERROR frames without dropping the connection", async () => {
    const { client, errors, socket } = await readyClient();
    socket.frame({
      op: Op.Error,
      d: { code: "unknown_op", message: "No such op.", status: 400 },
    });
    expect(errors).toEqual([{ code: "unknown_op", message: "No such op.", status: 400 }]);
    expect(client.status).toBe("ready");
    expect(socket.closedWith).toBeNull();
  });

  it("sends client ops only when ready, and stop() ends it for good", async () => {
    const { client } = makeClient();
    expect(client.send(Op.PresenceUpdate, { status: "idle" })).toBe(false);
    const ready = await readyClient();
    expect(ready.client.send(Op.VoiceStateUpdate, { guild_id: "1", channel_id: null })).toBe(true);
    expect(ready.socket.sent.at(-1)?.op).toBe(Op.VoiceStateUpdate);
    ready.client.stop();
    expect(ready.socket.closedWith).toBe(1000);
    const count = FakeSocket.all.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(count);
  });
});

describe("the frame budget (close code 4008)", () => {
  const notice = {
    op: Op.Error,
    d: {
      code: "rate_limited",
      message: "Rate limited.",
      status: 429,
      close_code: 4008,
      errors: { retry_after: 30 },
    },
  };

  it("stops sending on the notice and resumes only once retry_after has passed", async () => {
    const { client, socket } = await readyClient();
    socket.dispatch("MESSAGE_CREATE", 2);
    const noticeAt = Date.now();
    socket.frame(notice);
    const sentAtNotice = socket.sent.length;
    expect(client.send(Op.PresenceUpdate, { status: "idle" })).toBe(false);
    // The server's close (1000, all API Gateway can send) follows the notice.
    socket.cut(1000);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(FakeSocket.all).toHaveLength(1);
    expect(socket.sent).toHaveLength(sentAtNotice); // not even a heartbeat
    while (FakeSocket.all.length === 1) await vi.advanceTimersByTimeAsync(100);
    expect(Date.now() - noticeAt).toBeLessThan(35_000); // then no longer than the back-off needs
    const next = latest();
    next.open();
    expect(next.sent).toEqual([
      { op: Op.Resume, d: { token: "tok", session_id: "sess-1", seq: 2 } },
    ]);
  });

  it("treats a real close 4008 the same way, backing off rather than reconnecting at once", async () => {
    const { socket } = await readyClient({ rateLimitedDelayMs: 60_000 });
    socket.cut(4008);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("backs off longer each time the budget is spent again", async () => {
    const { socket } = await readyClient();
    const starts: number[] = [];
    let current = socket;
    for (let i = 0; i < 3; i += 1) {
      current.frame(notice);
      current.cut(1000);
      const before = Date.now();
      while (latest() === current) await vi.advanceTimersByTimeAsync(100);
      starts.push(Date.now() - before);
      current = latest();
      current.open(); // RESUME, and the next burst spends the budget again at once
    }
    expect(starts[0]).toBeGreaterThanOrEqual(30_000);
    expect(starts[1]).toBeGreaterThan(starts[0]);
    expect(starts[2]).toBeGreaterThan(starts[1]);
  });
});

/** A ready client whose login then ends: the refresh token was revoked with it, so a refresh
 * is refused (401). */
async function endedLogin() {
  const signedOut: unknown[] = [];
  const tokens: boolean[] = [];
  const made = await readyClient({
    getToken: (fresh) => {
      tokens.push(fresh);
      if (fresh) throw Object.assign(new Error("This session has ended."), { status: 401 });
      return "tok";
    },
    onSignedOut: (e) => signedOut.push(e),
  });
  return { ...made, tokens, signedOut };
}

describe("an ended login", () => {
  it("refreshes once after a refused reconnect, then signs out and stays closed", async () => {
    const { client, socket, tokens, signedOut } = await endedLogin();
    socket.cut(1000); // the server closed the login's connections
    while (FakeSocket.all.length === 1) await vi.advanceTimersByTimeAsync(10);
    latest().cut(1006); // $connect refused the ended login's token: never opened
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tokens).toEqual([false, false, true]);
    expect(client.status).toBe("closed");
    expect(signedOut).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("refreshes at once when RESUME is refused with session_ended, then signs out", async () => {
    const { client, socket, tokens, signedOut } = await endedLogin();
    socket.cut(1000);
    while (FakeSocket.all.length === 1) await vi.advanceTimersByTimeAsync(10);
    const second = latest();
    second.open();
    expect(second.sent[0].op).toBe(Op.Resume);
    second.frame({
      op: Op.Error,
      d: { code: "session_ended", message: "This login has ended; sign in again.", status: 401 },
    });
    await flush();
    expect(tokens).toEqual([false, false, true]);
    expect(client.status).toBe("closed");
    expect(second.closedWith).not.toBeNull();
    expect(signedOut).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("goes on with a refreshed token when only the access token was refused", async () => {
    const { client, socket, tokens } = await readyClient({ onSignedOut: () => {} });
    socket.cut(1000);
    while (FakeSocket.all.length === 1) await vi.advanceTimersByTimeAsync(10);
    const second = latest();
    second.open();
    second.frame({
      op: Op.Error,
      d: { code: "unauthorized", message: "The token has expired.", status: 401 },
    });
    await flush();
    const third = latest();
    expect(third).not.toBe(second);
    expect(third.url).toContain("token=fresh-token");
    third.open();
    expect(third.sent[0]).toMatchObject({ op: Op.Resume, d: { token: "fresh-token" } });
    third.dispatch("RESUMED", 1);
    expect(client.status).toBe("ready");
    expect(tokens).toEqual([false, false, true]);
  });
});
