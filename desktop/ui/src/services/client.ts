// The glue between the REST client, the gateway client, voice and the store: one object per
// page, handed to components through React context.

import { endpoints, type Endpoints } from "../api/endpoints";
import { ApiClient, ApiError, errorText, tokensFrom, type Tokens } from "../api/http";
import type {
  AuthResponse,
  Message,
  ReadStateEntry,
  Snowflake,
  User,
  VoiceServerUpdate,
} from "../api/types";
import { apiBase, deriveGatewayUrl, type ServerConfig } from "../config";
import { GatewayClient, Op } from "../gateway/client";
import { gatewayEvent, sessionEnded, sessionStarted } from "../store/actions";
import { gatewayStatus, sessionExpired } from "../store/auth";
import { channelSelected, dmOpened, dmSelected, dmsLoaded } from "../store/channels";
import { guildSelected } from "../store/guilds";
import type { AppStore } from "../store/index";
import { usersSeen } from "../store/members";
import { notificationSettingsLoaded } from "../store/notificationSettings";
import { channelRead, readStateRestored } from "../store/readState";
import { compareSnowflakes } from "../util/snowflake";
import { typingExpired } from "../store/typing";
import { noticeShown } from "../store/ui";
import {
  connectionChanged,
  joinRequested,
  leaveRequested,
  selfDeafSet,
  selfMuteSet,
  speakingChanged,
} from "../store/voice";
import { VoiceRtc } from "../voice/rtc";
import { Notifier } from "./notifications";
import { Outbox } from "./outbox";
import { loadReadMarks, loadSession, saveReadMarks, saveSession } from "./persist";

export class ParleyClient {
  readonly store: AppStore;
  /** The server of this page, fixed for its life: another one is another page (the desktop
   * shell reloads the window on it), so tokens never follow a change of server. */
  readonly config: ServerConfig;
  /** Inside the desktop shell, whose connection dialog may choose another server. */
  readonly inShell: boolean;
  readonly api: ApiClient;
  readonly ep: Endpoints;
  /** Messages on their way to the server, in order per channel. */
  readonly outbox: Outbox;
  /** Desktop notifications and the window title's unread count. */
  readonly notifier: Notifier;
  gateway: GatewayClient | null = null;
  private voiceRtc: VoiceRtc | null = null;
  private user: User | null = null;
  private unsubscribe: (() => void) | null = null;
  private typingTimer: ReturnType<typeof setInterval> | null = null;
  /** The newest message the server has as read, per channel (READY `read_state`,
   * `MESSAGE_ACK`, our own acks): what `markRead` compares with, not the local mark, which
   * our own messages move without the server knowing. */
  private acked = new Map<Snowflake, Snowflake>();
  /** Users whose profile was asked for (members arrive as `{user: {id}}` only). */
  private usersAsked = new Set<Snowflake>();

  constructor(store: AppStore, config: ServerConfig, inShell = false) {
    this.store = store;
    this.config = config;
    this.inShell = inShell;
    this.api = new ApiClient(apiBase(config));
    this.ep = endpoints(this.api);
    this.outbox = new Outbox(store, this.ep);
    this.notifier = new Notifier(store, (message) => this.openChannelOf(message));
    this.api.onTokens = (tokens) => this.tokensChanged(tokens);
  }

  notify(error: unknown, prefix?: string): void {
    const text = errorText(error);
    this.store.dispatch(noticeShown({ text: prefix ? `${prefix}: ${text}` : text }));
  }

  /** Sign in with the answer of register/login/refresh or an OIDC callback. */
  begin(auth: AuthResponse): void {
    const tokens = tokensFrom(auth);
    this.api.setTokens(tokens);
    this.start(auth.user, tokens, auth);
  }

  /** Resume a remembered session; false when there is none or it is no longer valid. */
  async restore(): Promise<boolean> {
    const saved = await loadSession(this.config.server);
    if (!saved) return false;
    this.api.setTokens(saved.tokens);
    try {
      const user = await this.ep.me();
      this.start(user, saved.tokens);
      return true;
    } catch (error) {
      this.api.setTokens(null);
      if (error instanceof ApiError && error.status === 401) saveSession(this.config.server, null);
      // Otherwise the server is away: keep the session for the next start, and say why.
      else this.notify(error, "Could not restore your session");
      return false;
    }
  }

  private start(user: User, tokens: Tokens, auth?: AuthResponse): void {
    this.user = user;
    saveSession(this.config.server, { user, tokens });
    this.store.dispatch(sessionStarted({ user, auth }));
    this.store.dispatch(readStateRestored(loadReadMarks(user.id)));
    let marks = this.store.getState().readState.byChannel;
    let members = this.store.getState().members.byGuild;
    this.unsubscribe?.();
    this.unsubscribe = this.store.subscribe(() => {
      const state = this.store.getState();
      const next = state.readState.byChannel;
      if (next !== marks && this.user) {
        marks = next;
        saveReadMarks(this.user.id, next);
      }
      if (state.members.byGuild !== members) {
        members = state.members.byGuild;
        void this.lookUpNamelessUsers();
      }
    });
    this.typingTimer ??= setInterval(() => this.store.dispatch(typingExpired(Date.now())), 1000);
    this.notifier.start();
    void this.connectGateway();
    void this.loadNotificationSettings();
  }

  /** The user's notification settings are kept by the server (every device agrees): fetched
   * at start, then kept current by USER_GUILD_SETTINGS_UPDATE. */
  private async loadNotificationSettings(): Promise<void> {
    try {
      this.store.dispatch(notificationSettingsLoaded(await this.ep.notificationSettings()));
    } catch (error) {
      // A server without notification settings answers 404: the defaults then apply.
      if (!(error instanceof ApiError && error.status === 404))
        this.notify(error, "Could not load your notification settings");
    }
  }

  /** Open the channel of a clicked notification (a server's; a DM is only focused). */
  private openChannelOf(message: Message): void {
    if (!message.guild_id) {
      this.store.dispatch(guildSelected(null));
      this.store.dispatch(dmSelected(message.channel_id));
      return;
    }
    this.store.dispatch(guildSelected(message.guild_id));
    this.store.dispatch(
      channelSelected({ guildId: message.guild_id, channelId: message.channel_id }),
    );
  }

  async logout(): Promise<void> {
    const refresh = this.api.refreshToken;
    try {
      if (refresh) await this.ep.logout(refresh);
    } catch (error) {
      this.notify(error, "The server did not confirm the sign-out");
    }
    this.end();
  }

  /** End every login of this user (every device), then this page's session. */
  async logoutEverywhere(): Promise<void> {
    await this.ep.logoutAll();
    this.signedOut();
  }

  /** Change the password. The server then ends every login of the user, this one included. */
  async changePassword(password: string, newPassword: string): Promise<void> {
    await this.ep.changePassword({ password, new_password: newPassword });
    this.signedOut("Your password was changed. Sign in again with the new password.");
  }

  /** The server ended this login (a logout elsewhere, a password change): back to the login
   * screen, saying why. */
  private signedOut(why = "You were signed out."): void {
    if (this.user) this.end();
    this.store.dispatch(sessionExpired(why));
  }

  /** Parley's member objects carry the user's id only (CONTRACT.md); the names come from
   * `GET /users/{id}`, once per user, a few at a time. */
  private async lookUpNamelessUsers(): Promise<void> {
    const { byGuild, users } = this.store.getState().members;
    const wanted = new Set<Snowflake>();
    for (const guild of Object.values(byGuild))
      for (const id of Object.keys(guild))
        if (!users[id]?.username && !this.usersAsked.has(id)) wanted.add(id);
    for (const id of wanted) this.usersAsked.add(id);
    const queue = [...wanted];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          this.store.dispatch(usersSeen([await this.ep.user(id)]));
        } catch (error) {
          // A user deleted since is simply shown without a name; anything else is said.
          if (!(error instanceof ApiError && error.status === 404)) {
            this.usersAsked.delete(id);
            this.notify(error, "Could not load a member's name");
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
  }

  /** The user's DMs and group DMs, after each READY (a RESUME replays what changed them). */
  private async loadDms(): Promise<void> {
    try {
      this.store.dispatch(dmsLoaded(await this.ep.dms()));
    } catch (error) {
      this.notify(error, "Could not load your direct messages");
    }
  }

  /** Open the DM with a user (the server creates it the first time) and show it in Home. */
  async openDm(userId: Snowflake): Promise<void> {
    const channel = await this.ep.openDm(userId);
    this.store.dispatch(dmOpened(channel));
    this.store.dispatch(guildSelected(null));
  }

  /** The user has seen a channel up to a message: mark it here and tell the server (its read
   * state follows the user to other devices, READY `read_state` / `MESSAGE_ACK`). */
  markRead(channelId: Snowflake, messageId: Snowflake): void {
    this.store.dispatch(channelRead({ channelId, messageId }));
    if (!this.serverReadAt(channelId, messageId)) return;
    this.ep.ack(channelId, messageId).catch((error: unknown) => {
      // A server without read state answers 404: the marks then stay in this browser.
      if (!(error instanceof ApiError && error.status === 404))
        this.notify(error, "Could not save what you have read");
    });
  }

  /** Record that the server has the channel read up to the message; false when it had it
   * already (nothing to send). */
  private serverReadAt(channelId: Snowflake, messageId: Snowflake | null): boolean {
    const acked = this.acked.get(channelId);
    if (!messageId || (acked && compareSnowflakes(messageId, acked) <= 0)) return false;
    this.acked.set(channelId, messageId);
    return true;
  }

  private end(): void {
    this.leaveVoice();
    this.notifier.stop();
    this.gateway?.stop();
    this.gateway = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.typingTimer) clearInterval(this.typingTimer);
    this.typingTimer = null;
    this.api.setTokens(null);
    this.user = null;
    this.usersAsked.clear();
    this.acked.clear();
    saveSession(this.config.server, null);
    this.store.dispatch(sessionEnded());
  }

  private tokensChanged(tokens: Tokens | null): void {
    if (tokens && this.user) saveSession(this.config.server, { user: this.user, tokens });
    if (!tokens && this.user) {
      this.store.dispatch(sessionExpired("Your session has expired. Please sign in again."));
      this.end();
    }
  }

  async gatewayUrl(): Promise<string> {
    if (this.config.gateway) return this.config.gateway;
    try {
      return await this.ep.gatewayUrl();
    } catch {
      return deriveGatewayUrl(this.config.server, import.meta.env.DEV);
    }
  }

  private async connectGateway(): Promise<void> {
    this.gateway?.stop();
    const url = await this.gatewayUrl();
    const gateway = new GatewayClient({
      url,
      getToken: (fresh) => this.api.accessToken(fresh),
      onDispatch: (t, d) => this.dispatchEvent(t, d),
      onStatus: (status) => this.store.dispatch(gatewayStatus(status)),
      onError: (error) =>
        this.store.dispatch(
          noticeShown({ text: `The server refused a request: ${error.message} (${error.code})` }),
        ),
      onSignedOut: () => this.signedOut(),
    });
    this.gateway = gateway;
    gateway.start();
  }

  private dispatchEvent(t: string, d: unknown): void {
    this.store.dispatch(gatewayEvent({ t, d, me: this.user?.id, at: Date.now() }));
    if (t === "READY") {
      for (const entry of (d as { read_state?: ReadStateEntry[] }).read_state ?? [])
        this.serverReadAt(entry.id, entry.last_message_id);
      void this.loadDms();
    } else if (t === "MESSAGE_ACK") {
      const ack = d as { channel_id: Snowflake; message_id: Snowflake };
      this.serverReadAt(ack.channel_id, ack.message_id);
    }
    if (t === "VOICE_SERVER_UPDATE") void this.voiceServerUpdate(d as VoiceServerUpdate);
    if (t === "MESSAGE_CREATE" && this.user)
      this.notifier.messageCreated(d as Message, this.user.id);
  }

  // ------------------------------------------------------------------ voice

  joinVoice(guildId: Snowflake, channelId: Snowflake): void {
    const { selfMute, selfDeaf } = this.store.getState().voice.self;
    this.voiceRtc?.close();
    this.voiceRtc = null;
    if (!this.sendVoiceState(guildId, channelId, selfMute, selfDeaf)) return;
    this.store.dispatch(joinRequested({ guildId, channelId }));
  }

  leaveVoice(): void {
    const { guildId, selfMute, selfDeaf } = this.store.getState().voice.self;
    this.voiceRtc?.close();
    this.voiceRtc = null;
    if (guildId) this.sendVoiceState(guildId, null, selfMute, selfDeaf);
    this.store.dispatch(leaveRequested());
  }

  setMute(mute: boolean): void {
    this.store.dispatch(selfMuteSet(mute));
    this.afterSelfChange();
  }

  setDeaf(deaf: boolean): void {
    this.store.dispatch(selfDeafSet(deaf));
    this.afterSelfChange();
  }

  private afterSelfChange(): void {
    const { guildId, channelId, selfMute, selfDeaf } = this.store.getState().voice.self;
    this.voiceRtc?.setMuted(selfMute);
    this.voiceRtc?.setDeafened(selfDeaf);
    if (guildId && channelId) this.sendVoiceState(guildId, channelId, selfMute, selfDeaf);
  }

  private sendVoiceState(
    guildId: Snowflake,
    channelId: Snowflake | null,
    selfMute: boolean,
    selfDeaf: boolean,
  ): boolean {
    const sent = this.gateway?.send(Op.VoiceStateUpdate, {
      guild_id: guildId,
      channel_id: channelId,
      self_mute: selfMute,
      self_deaf: selfDeaf,
    });
    if (!sent)
      this.store.dispatch(
        noticeShown({ text: "Not connected to the server right now; try again in a moment." }),
      );
    return Boolean(sent);
  }

  setPresence(status: string): void {
    if (!this.gateway?.send(Op.PresenceUpdate, { status }))
      this.store.dispatch(noticeShown({ text: "Not connected: your status was not changed." }));
  }

  private async voiceServerUpdate(update: VoiceServerUpdate): Promise<void> {
    this.voiceRtc?.close(true);
    this.voiceRtc = null;
    if (!update.endpoint) {
      // The room is moving to another node: the next update says where.
      this.store.dispatch(connectionChanged({ connection: "connecting" }));
      return;
    }
    const state = this.store.getState().voice;
    const rtc = new VoiceRtc({
      endpoint: update.endpoint,
      token: update.token,
      deviceId: state.inputDeviceId,
      muted: state.self.selfMute,
      deafened: state.self.selfDeaf,
      onState: (s, error) => {
        if (rtc !== this.voiceRtc) return;
        if (s === "failed") {
          this.store.dispatch(connectionChanged({ connection: "failed", error }));
          this.store.dispatch(noticeShown({ text: error ?? "Voice failed." }));
          this.abandonFailedJoin();
        } else if (s !== "closed") this.store.dispatch(connectionChanged({ connection: s }));
      },
      onSpeaking: (userId, speaking) => this.store.dispatch(speakingChanged({ userId, speaking })),
    });
    this.voiceRtc = rtc;
    await rtc.start();
  }

  /** A join whose media failed: leave the channel for everyone (the others must not see us
   *  there), keeping the failure and its channel in view for Retry. */
  private abandonFailedJoin(): void {
    const { guildId, selfMute, selfDeaf } = this.store.getState().voice.self;
    this.voiceRtc?.close();
    this.voiceRtc = null;
    if (guildId) this.sendVoiceState(guildId, null, selfMute, selfDeaf);
  }

  /** Join the channel of a failed or lost voice connection again. */
  retryVoice(): void {
    const { guildId, channelId } = this.store.getState().voice.self;
    if (guildId && channelId) this.joinVoice(guildId, channelId);
  }

  /** Re-open the microphone after the input device changed. */
  restartVoiceInput(): void {
    const { guildId, channelId } = this.store.getState().voice.self;
    if (!guildId || !channelId) return;
    this.leaveVoice();
    this.joinVoice(guildId, channelId);
  }
}
