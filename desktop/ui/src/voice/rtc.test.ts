import { describe, expect, it, vi } from "vitest";
import { VoiceRtc, type VoiceRtcState } from "./rtc";

class FakeTrack {
  enabled = true;
  stopped = false;
  stop() {
    this.stopped = true;
  }
}

class FakeStream {
  track = new FakeTrack();
  getAudioTracks() {
    return [this.track];
  }
  getTracks() {
    return [this.track];
  }
}

class FakePeer {
  iceGatheringState = "complete";
  connectionState = "new";
  localDescription: { type: string; sdp: string } | null = null;
  remote: { type: string; sdp?: string }[] = [];
  tracks: unknown[] = [];
  closed = false;
  ontrack: ((e: unknown) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  addTrack(track: unknown) {
    this.tracks.push(track);
  }
  async createOffer() {
    return { type: "offer", sdp: "v=0 offer m=audio" };
  }
  async createAnswer() {
    return { type: "answer", sdp: `v=0 answer ${this.remote.length}` };
  }
  async setLocalDescription(d: { type: string; sdp: string }) {
    this.localDescription = d;
  }
  async setRemoteDescription(d: { type: string; sdp?: string }) {
    this.remote.push(d);
  }
  addEventListener() {}
  removeEventListener() {}
  close() {
    this.closed = true;
  }
}

class FakeSocket {
  readyState = 0;
  sent: { op: string; sdp?: string }[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function setup(getUserMedia?: () => Promise<MediaStream>) {
  const states: [VoiceRtcState, string | undefined][] = [];
  const speaking: [string, boolean][] = [];
  const stream = new FakeStream();
  const peer = new FakePeer();
  let socket: FakeSocket | null = null;
  const constraints: MediaStreamConstraints[] = [];
  const rtc = new VoiceRtc({
    endpoint: "ws://node.test:7000/rtc",
    token: "voice token",
    deviceId: "mic-2",
    onState: (s, e) => states.push([s, e]),
    onSpeaking: (u, s) => speaking.push([u, s]),
    socketFactory: (url) => {
      socket = new FakeSocket(url);
      return socket as unknown as WebSocket;
    },
    peerFactory: () => peer as unknown as RTCPeerConnection,
    getUserMedia:
      getUserMedia ??
      (async (c) => {
        constraints.push(c);
        return stream as unknown as MediaStream;
      }),
  });
  return { rtc, states, speaking, stream, peer, constraints, socket: () => socket! };
}

describe("voice signalling", () => {
  it("offers, applies the answer, answers renegotiation and reports speaking", async () => {
    const { rtc, peer, socket, constraints, speaking, stream } = setup();
    await rtc.start();
    expect(constraints[0]).toEqual({ audio: { deviceId: { exact: "mic-2" } }, video: false });
    expect(socket().url).toBe("ws://node.test:7000/rtc?token=voice%20token");
    expect(peer.tracks).toEqual([stream.track]);
    socket().open();
    await vi.waitFor(() => expect(socket().sent).toHaveLength(1));
    expect(socket().sent[0]).toEqual({ op: "offer", sdp: "v=0 offer m=audio" });
    socket().receive({ op: "answer", sdp: "v=0 node answer" });
    await vi.waitFor(() =>
      expect(peer.remote).toEqual([{ type: "answer", sdp: "v=0 node answer" }]),
    );
    // A participant joined: the node renegotiates.
    socket().receive({ op: "offer", sdp: "v=0 node offer" });
    await vi.waitFor(() => expect(socket().sent).toHaveLength(2));
    expect(peer.remote[1]).toEqual({ type: "offer", sdp: "v=0 node offer" });
    expect(socket().sent[1]).toEqual({ op: "answer", sdp: "v=0 answer 2" });
    socket().receive({ op: "speaking", user_id: "200", speaking: true });
    expect(speaking).toEqual([["200", true]]);
  });

  it("mutes by disabling the track and releases everything on close", async () => {
    const { rtc, stream, peer, socket, states } = setup();
    await rtc.start();
    rtc.setMuted(true);
    expect(stream.track.enabled).toBe(false);
    rtc.setMuted(false);
    expect(stream.track.enabled).toBe(true);
    rtc.close();
    expect(stream.track.stopped).toBe(true);
    expect(peer.closed).toBe(true);
    expect(socket().closed).toBe(true);
    expect(states.at(-1)?.[0]).toBe("closed");
  });

  it("says in words why the microphone is unavailable", async () => {
    const { rtc, states } = setup(async () => {
      throw new DOMException("denied", "NotAllowedError");
    });
    await rtc.start();
    expect(states).toEqual([
      ["connecting", undefined],
      ["failed", "The microphone is not available: access was refused."],
    ]);
  });

  it("reports a node that hangs up", async () => {
    const { rtc, socket, states } = setup();
    await rtc.start();
    socket().open();
    socket().onclose?.();
    expect(states.at(-1)).toEqual(["failed", "The voice server closed the connection."]);
  });

  it("keeps the node's MID → user map, tells the node its mute once joined, and follows a move", async () => {
    const { rtc, socket, states } = setup();
    await rtc.start();
    socket().open();
    rtc.setMuted(true); // not joined yet: the node would refuse it
    await vi.waitFor(() => expect(socket().sent).toHaveLength(1));
    socket().receive({ op: "answer", sdp: "v=0 node answer" });
    socket().receive({ op: "offer", sdp: "v=0 node offer", tracks: { "1": "200" } });
    await vi.waitFor(() => expect(socket().sent).toHaveLength(2));
    expect(rtc.tracks).toEqual({ "1": "200" });
    expect(window.__parleyVoice?.tracks).toEqual({ "1": "200" });
    rtc.setDeafened(true);
    expect(socket().sent[2]).toEqual({ op: "state", self_mute: true, self_deaf: true });
    socket().receive({ op: "moving" });
    socket().onclose?.();
    expect(states.at(-1)).toEqual(["connecting", undefined]);
    rtc.close();
    expect(window.__parleyVoice).toBeNull();
  });
});
