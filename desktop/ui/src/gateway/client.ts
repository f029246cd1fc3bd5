// The gateway client: connect with `?token=`, IDENTIFY, heartbeat at READY's interval carrying
// the last sequence, RESUME after a cut (with backoff), IDENTIFY again on INVALID_SESSION,
// reconnect at once on RECONNECT, and surface op 12 ERROR frames. Spending the frame budget (close
// 4008, or op 12 carrying `close_code` 4008) stops it sending until the server's `retry_after` has
// passed; a refused token (the handshake, or op 12 401 to IDENTIFY/RESUME) is refreshed once, and
// when that fails too the login is over: `onSignedOut`, and no more connections. It knows nothing of React or
// the stores: dispatches go out through `onDispatch`, in sequence order, each exactly once.

/** Dispatches that carry the session's starting position rather than an event's own. */
const SESSION_FRAMES = new Set(["READY", "GUILD_CREATE", "RESUMED"]);

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  Error: 12,
} as const;

export interface Frame {
  op: number;
  d?: unknown;
  s?: number | null;
  t?: string | null;
}

export interface GatewayErrorData {
  code: string;
  message: string;
  status?: number;
  /** Set when the server closes the connection after this frame (4008: the frame budget). */
  close_code?: number;
  errors?: Record<string, unknown>;
}

/** Discord's close code for a connection that sent too many frames (docs/protocol.md). */
export const CLOSE_RATE_LIMITED = 4008;

export type GatewayStatus =
  "idle" | "connecting" | "identifying" | "resuming" | "ready" | "reconnecting" | "closed";

/** The part of the browser's WebSocket the client uses (a fake one in tests). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface GatewayOptions {
  url: string;
  /** The current access token; `fresh` asks for a refreshed one (after a refused connection). */
  getToken: (fresh: boolean) => Promise<string> | string;
  onDispatch: (t: string, d: unknown, s: number | null) => void;
  onStatus?: (status: GatewayStatus) => void;
  onError?: (error: GatewayErrorData) => void;
  /** The login is over (its token refused, and a refresh refused too): sign the user out. The
   * client has stopped for good when this is called. */
  onSignedOut?: (error: GatewayErrorData) => void;
  socketFactory?: SocketFactory;
  properties?: Record<string, string>;
  intents?: number;
  /** Backoff after a cut: base * 2^attempt (capped), times a jitter in [0.5, 1). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Delay before identifying again after INVALID_SESSION (Discord asks for 1–5 s). */
  invalidSessionDelayMs?: number;
  /** The wait after a close 4008 that came without the notice's `retry_after`. */
  rateLimitedDelayMs?: number;
  random?: () => number;
}

const OPEN = 1;
/** Closes we make on purpose that must keep the session resumable (not 1000/1001). */
const CLOSE_RESUME = 4900;

export class GatewayClient {
  status: GatewayStatus = "idle";
  sessionId: string | null = null;
  seq: number | null = null;
  heartbeatInterval: number | null = null;

  private socket: SocketLike | null = null;
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private identifyTimer: ReturnType<typeof setTimeout> | null = null;
  private awaitingAck = false;
  private attempts = 0;
  private openedThisAttempt = false;
  /** This attempt's token was refreshed just before: a refusal now means the login is over. */
  private freshThisAttempt = false;
  private stopped = true;
  private readonly opts: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.opts = options;
  }

  /** Open the gateway (a no-op while it is already open or opening). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.open(false);
  }

  /** Close for good: no reconnect, and the session is forgotten. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) this.detach(socket).close(1000, "client stop");
    this.sessionId = null;
    this.seq = null;
    this.setStatus("closed");
  }

  /** Send a client op (presence, voice state). False when the gateway is not ready. */
  send(op: number, d: unknown): boolean {
    if (!this.socket || this.socket.readyState !== OPEN || this.status !== "ready") return false;
    this.raw({ op, d });
    return true;
  }

  private async open(freshToken: boolean): Promise<void> {
    this.clearTimers();
    this.setStatus("connecting");
    let token: string;
    try {
      token = await this.opts.getToken(freshToken);
    } catch (error) {
      const status = (error as { status?: number } | null)?.status;
      if (status === 401 || status === 403) {
        // The session is over: signing in again is the only way forward.
        this.signedOut({
          code: "unauthorized",
          message: error instanceof Error ? error.message : "Sign in again.",
          status,
        });
      } else if (!this.stopped) {
        // The server (or the network) is away: try again later, like any failed connection.
        this.scheduleReconnect(freshToken);
      }
      return;
    }
    if (this.stopped) return;
    const factory = this.opts.socketFactory ?? ((url: string) => new WebSocket(url));
    const sep = this.opts.url.includes("?") ? "&" : "?";
    const socket = factory(`${this.opts.url}${sep}token=${encodeURIComponent(token)}`);
    this.socket = socket;
    this.openedThisAttempt = false;
    this.freshThisAttempt = freshToken;
    socket.onopen = () => {
      this.openedThisAttempt = true;
      if (this.sessionId !== null && this.seq !== null) {
        this.setStatus("resuming");
        this.raw({ op: Op.Resume, d: { token, session_id: this.sessionId, seq: this.seq } });
      } else {
        this.identify(token);
      }
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
    socket.onerror = () => {
      // A close event always follows; the reconnect logic lives there.
    };
  }

  private identify(token: string): void {
    this.setStatus("identifying");
    const d: Record<string, unknown> = {
      token,
      properties: this.opts.properties ?? { os: "web", browser: "parley", device: "parley" },
    };
    if (this.opts.intents !== undefined) d.intents = this.opts.intents;
    this.raw({ op: Op.Identify, d });
  }

  private receive(data: unknown): void {
    let frame: Frame;
    try {
      frame = JSON.parse(String(data)) as Frame;
    } catch {
      return; // not ours to interpret; the server only sends JSON
    }
    switch (frame.op) {
      case Op.Dispatch:
        this.dispatch(frame);
        break;
      case Op.Heartbeat:
        this.heartbeat();
        break;
      case Op.HeartbeatAck:
        this.awaitingAck = false;
        break;
      case Op.Hello: {
        const interval = (frame.d as { heartbeat_interval?: number } | null)?.heartbeat_interval;
        if (interval) this.startHeartbeat(interval);
        break;
      }
      case Op.Reconnect:
        this.reconnectNow();
        break;
      case Op.InvalidSession:
        this.invalidSession();
        break;
      case Op.Error:
        this.error(frame.d as GatewayErrorData);
        break;
      default:
        break;
    }
  }

  private dispatch(frame: Frame): void {
    const s = typeof frame.s === "number" ? frame.s : null;
    if (s !== null) {
      // A replay may overlap what we already have: each sequence is applied once. READY,
      // GUILD_CREATE and RESUMED carry the position the session starts after (docs/protocol.md),
      // so they repeat READY's s and are never duplicates.
      if (this.seq !== null && s <= this.seq && !SESSION_FRAMES.has(frame.t ?? "")) return;
      // READY starts a session's numbering; nothing else moves it back.
      this.seq = this.seq === null || frame.t === "READY" ? s : Math.max(this.seq, s);
    }
    const t = frame.t ?? "";
    if (t === "READY") {
      const d = frame.d as { session_id: string; heartbeat_interval?: number };
      this.sessionId = d.session_id;
      this.attempts = 0;
      if (d.heartbeat_interval) this.startHeartbeat(d.heartbeat_interval);
      this.setStatus("ready");
    } else if (t === "RESUMED") {
      this.attempts = 0;
      if (this.heartbeatInterval && this.heartbeatTimer === null)
        this.startHeartbeat(this.heartbeatInterval);
      this.setStatus("ready");
    }
    this.opts.onDispatch(t, frame.d, s);
  }

  private startHeartbeat(interval: number): void {
    this.heartbeatInterval = interval;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.awaitingAck = false;
    // Beats go twice per interval, each due its ACK before the next (Discord's zombie rule), so
    // a connection that went silent is known within one interval of the last ACK, not two.
    const period = interval / 2;
    const beat = (delay: number) => {
      this.heartbeatTimer = setTimeout(() => {
        if (this.awaitingAck) {
          // No ACK since the last beat: the connection is a zombie. Cut it and resume.
          this.reconnectNow();
          return;
        }
        this.heartbeat();
        beat(period);
      }, delay);
    };
    beat(period * this.jitter());
  }

  private heartbeat(): void {
    this.awaitingAck = true;
    this.raw({ op: Op.Heartbeat, d: this.seq });
  }

  private invalidSession(): void {
    this.sessionId = null;
    this.seq = null;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const socket = this.socket;
    const delay = this.opts.invalidSessionDelayMs ?? 1000 + 4000 * this.random();
    this.identifyTimer = setTimeout(async () => {
      this.identifyTimer = null;
      if (this.stopped || this.socket !== socket || socket?.readyState !== OPEN) return;
      this.identify(await this.opts.getToken(false));
    }, delay);
  }

  private error(error: GatewayErrorData): void {
    if (error.close_code === CLOSE_RATE_LIMITED) {
      // The server closes the connection next; we stop here, sending nothing more.
      const retryAfter = Number(error.errors?.retry_after);
      this.abandonSocket(4000, "rate limited");
      this.rateLimited(Number.isFinite(retryAfter) ? retryAfter * 1000 : null);
    } else if (error.status === 401 && this.status !== "ready") {
      // IDENTIFY or RESUME refused the token: an ended login's, or one that expired.
      this.abandonSocket(CLOSE_RESUME, "token refused");
      this.refused(error);
    } else this.opts.onError?.(error);
  }

  /** The token was refused: refresh it once; refused again, the login is over. */
  private refused(error: GatewayErrorData): void {
    if (this.freshThisAttempt) this.signedOut(error);
    else void this.open(true);
  }

  private signedOut(error: GatewayErrorData): void {
    this.stop();
    if (this.opts.onSignedOut) this.opts.onSignedOut(error);
    else this.opts.onError?.(error);
  }

  /** Out of frame budget: nothing is sent until `retryAfterMs` (and the usual backoff on top,
   * growing if it happens again before a session is back) has passed; then RESUME. */
  private rateLimited(retryAfterMs: number | null): void {
    this.scheduleReconnect(false, retryAfterMs ?? this.opts.rateLimitedDelayMs ?? 60_000);
  }

  /** Let go of the current socket: its close (which the server may still send) is not ours. */
  private abandonSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.clearTimers();
    if (socket) this.detach(socket).close(code, reason);
  }

  /** Cut the socket on purpose and reconnect at once, resuming the session. */
  private reconnectNow(): void {
    this.abandonSocket(CLOSE_RESUME, "reconnect");
    this.setStatus("reconnecting");
    void this.open(false);
  }

  private closed(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.clearTimers();
    if (this.stopped) return;
    if (code === CLOSE_RATE_LIMITED) {
      this.rateLimited(null);
      return;
    }
    // 4004 is Discord's "authentication failed"; a socket that never opened was most likely
    // refused in $connect (an expired token): both retry with a refreshed token.
    // A refusal after a refreshed token means the login is over (its refresh token was refused
    // too, or the server refuses the new one): no reconnect loop.
    if (code === 4004 || !this.openedThisAttempt) {
      if (this.freshThisAttempt && this.openedThisAttempt) {
        this.signedOut({ code: "unauthorized", message: "The server refused the token." });
        return;
      }
      this.scheduleReconnect(true);
    } else this.scheduleReconnect(false);
  }

  /** Reconnect after a backoff (base * 2^attempt, capped, jittered), plus `waitMs` first. */
  private scheduleReconnect(fresh: boolean, waitMs = 0): void {
    const delay = Math.min(
      (this.opts.backoffBaseMs ?? 1000) * 2 ** this.attempts,
      this.opts.backoffMaxMs ?? 30_000,
    );
    this.attempts += 1;
    this.setStatus("reconnecting");
    this.reconnectTimer = setTimeout(
      () => {
        this.reconnectTimer = null;
        void this.open(fresh);
      },
      waitMs + delay * this.jitter(),
    );
  }

  private raw(frame: Frame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private detach(socket: SocketLike): SocketLike {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    return socket;
  }

  private clearTimers(): void {
    for (const timer of [this.heartbeatTimer, this.reconnectTimer, this.identifyTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    this.heartbeatTimer = null;
    this.reconnectTimer = null;
    this.identifyTimer = null;
    this.awaitingAck = false;
  }

  private jitter(): number {
    return 0.5 + 0.5 * this.random();
  }

  private random(): number {
    return (this.opts.random ?? Math.random)();
  }

  private setStatus(status: GatewayStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.opts.onStatus?.(status);
  }
}
