// One voice connection to a media node: open the node's signalling WebSocket with the voice
// token, send our offer, apply its answer, answer its renegotiation offers (participants come
// and go), and report who is speaking. ICE is not trickled: each SDP is sent once gathering is
// complete, which is what an aiortc node expects.

export type VoiceRtcState = "connecting" | "connected" | "failed" | "closed";

export interface VoiceRtcOptions {
  endpoint: string;
  token: string;
  deviceId?: string | null;
  muted?: boolean;
  deafened?: boolean;
  onState: (state: VoiceRtcState, error?: string) => void;
  onSpeaking: (userId: string, speaking: boolean) => void;
  /** Test seams; the browser's own by default. */
  socketFactory?: (url: string) => WebSocket;
  peerFactory?: () => RTCPeerConnection;
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** Where remote audio plays (hidden <audio> elements are appended here). */
  audioParent?: HTMLElement;
  gatherTimeoutMs?: number;
}

interface SignalMessage {
  op: string;
  sdp?: string;
  user_id?: string;
  speaking?: boolean;
  message?: string;
  /** On the node's offers: which user each MID carries (media_nodes/session.py). */
  tracks?: Record<string, string>;
  self_mute?: boolean;
  self_deaf?: boolean;
}

/** What end-to-end tests read of the voice connection (the page's `window.__parleyVoice`):
 * the peer connection, for `getStats()`, and who each MID carries. */
export interface VoiceTestHook {
  pc: RTCPeerConnection;
  tracks: Record<string, string>;
}

declare global {
  interface Window {
    __parleyVoice?: VoiceTestHook | null;
  }
}

export class VoiceRtc {
  private socket: WebSocket | null = null;
  private pc: RTCPeerConnection | null = null;
  private stream: MediaStream | null = null;
  private readonly audios: HTMLAudioElement[] = [];
  private closed = false;
  private muted: boolean;
  private deafened: boolean;
  private readonly opts: VoiceRtcOptions;
  /** Which user each MID of the node's tracks carries, from its latest offer. */
  readonly tracks: Record<string, string> = {};
  /** The node answered our offer: it takes other messages from then on. */
  private joined = false;
  /** The node said it is moving the room: its socket closing is expected. */
  private moving = false;

  constructor(options: VoiceRtcOptions) {
    this.opts = options;
    this.muted = options.muted ?? false;
    this.deafened = options.deafened ?? false;
  }

  async start(): Promise<void> {
    this.opts.onState("connecting");
    try {
      const getUserMedia =
        this.opts.getUserMedia ?? ((c) => navigator.mediaDevices.getUserMedia(c));
      this.stream = await getUserMedia({
        audio: this.opts.deviceId ? { deviceId: { exact: this.opts.deviceId } } : true,
        video: false,
      });
    } catch (error) {
      this.fail(`The microphone is not available: ${describe(error)}`);
      return;
    }
    if (this.closed) return this.releaseMedia();
    const pc = (this.opts.peerFactory ?? (() => new RTCPeerConnection()))();
    this.pc = pc;
    if (typeof window !== "undefined") window.__parleyVoice = { pc, tracks: this.tracks };
    for (const track of this.stream.getAudioTracks()) {
      track.enabled = !this.muted;
      pc.addTrack(track, this.stream);
    }
    pc.ontrack = (event) => this.playRemote(event.streams[0] ?? new MediaStream([event.track]));
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") this.opts.onState("connected");
      else if (pc.connectionState === "failed") this.fail("The voice connection failed.");
    };
    const sep = this.opts.endpoint.includes("?") ? "&" : "?";
    const url = `${this.opts.endpoint}${sep}token=${encodeURIComponent(this.opts.token)}`;
    const socket = (this.opts.socketFactory ?? ((u: string) => new WebSocket(u)))(url);
    this.socket = socket;
    socket.onopen = () => void this.offer();
    socket.onmessage = (event) => void this.receive(event.data);
    socket.onclose = () => {
      if (!this.closed && !this.moving) this.fail("The voice server closed the connection.");
    };
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.sendState();
  }

  setDeafened(deafened: boolean): void {
    this.deafened = deafened;
    for (const audio of this.audios) audio.muted = deafened;
    this.sendState();
  }

  /** The node learns our own mute/deafen (it stops forwarding to a deafened participant). */
  private sendState(): void {
    if (this.joined) this.signal({ op: "state", self_mute: this.muted, self_deaf: this.deafened });
  }

  close(silent = false): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000);
    }
    if (typeof window !== "undefined" && window.__parleyVoice?.pc === this.pc)
      window.__parleyVoice = null;
    this.pc?.close();
    this.releaseMedia();
    for (const audio of this.audios.splice(0)) {
      audio.srcObject = null;
      audio.remove();
    }
    if (!silent) this.opts.onState("closed");
  }

  private async offer(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await this.gathered(pc);
      this.signal({ op: "offer", sdp: pc.localDescription?.sdp });
    } catch (error) {
      this.fail(`Could not start voice: ${describe(error)}`);
    }
  }

  private async receive(data: unknown): Promise<void> {
    const pc = this.pc;
    let message: SignalMessage;
    try {
      message = JSON.parse(String(data)) as SignalMessage;
    } catch {
      return;
    }
    try {
      if (message.op === "answer" && pc) {
        await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
        this.joined = true;
      } else if (message.op === "offer" && pc) {
        for (const mid of Object.keys(this.tracks)) delete this.tracks[mid];
        Object.assign(this.tracks, message.tracks ?? {});
        await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await this.gathered(pc);
        this.signal({ op: "answer", sdp: pc.localDescription?.sdp });
      } else if (message.op === "speaking" && message.user_id) {
        this.opts.onSpeaking(message.user_id, Boolean(message.speaking));
      } else if (message.op === "moving") {
        // The gateway sends a VOICE_SERVER_UPDATE naming the next node.
        this.moving = true;
        this.opts.onState("connecting");
      } else if (message.op === "error") {
        this.fail(message.message ?? "The voice server refused the connection.");
      }
    } catch (error) {
      this.fail(`Voice negotiation failed: ${describe(error)}`);
    }
  }

  private gathered(pc: RTCPeerConnection): Promise<void> {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        pc.removeEventListener("icegatheringstatechange", check);
        clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (pc.iceGatheringState === "complete") done();
      };
      const timer = setTimeout(done, this.opts.gatherTimeoutMs ?? 3000);
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  private playRemote(stream: MediaStream): void {
    if (this.audios.some((a) => a.srcObject === stream)) return;
    const audio = document.createElement("audio");
    audio.autoplay = true;
    audio.muted = this.deafened;
    audio.srcObject = stream;
    audio.dataset.parleyVoice = "remote";
    (this.opts.audioParent ?? document.body).appendChild(audio);
    this.audios.push(audio);
    void audio.play().catch(() => {
      // Autoplay may need a gesture; joining was one, so this is rare. Nothing to tell yet.
    });
  }

  private signal(message: SignalMessage): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  private releaseMedia(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.opts.onState("failed", reason);
    this.close(true);
  }
}

function describe(error: unknown): string {
  if (error instanceof DOMException) {
    if (error.name === "NotAllowedError") return "access was refused.";
    if (error.name === "NotFoundError") return "no input device was found.";
    if (error.name === "OverconstrainedError") return "the chosen input device is gone.";
  }
  return error instanceof Error ? error.message : String(error);
}
