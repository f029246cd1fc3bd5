// Sending messages: one queue per channel, so messages reach the server in the order they were
// written. The composer hands over the text at Enter and is free at once; what the server
// refuses stays in the outbox (shown in the message list) until the user retries or deletes it.

import type { Endpoints, NewAttachment } from "../api/endpoints";
import { ApiError, errorText } from "../api/http";
import type { Message, Snowflake } from "../api/types";
import { messageUpserted } from "../store/actions";
import type { AppStore } from "../store/index";
import { sendDone, sendFailed, sendQueued, sendStarted } from "../store/outbox";

/** How many rate-limit refusals (429) one send waits out before it is shown as failed. */
export const RATE_LIMIT_RETRIES = 3;

export interface Outgoing {
  content: string;
  replyTo?: Snowflake | null;
  attachments?: NewAttachment[];
}

type Sleep = (ms: number) => Promise<void>;

/** The wait a 429 asks for, in ms: the body's precise `retry_after` (seconds), else the
 * `Retry-After` header, else a second. */
export function retryDelay(error: ApiError): number {
  const precise = error.errors?.retry_after;
  const seconds =
    typeof precise === "number" && Number.isFinite(precise) ? precise : (error.retryAfter ?? 1);
  return Math.max(0, seconds) * 1000;
}

export class Outbox {
  private readonly store: AppStore;
  private readonly ep: Pick<Endpoints, "sendMessage">;
  private readonly sleep: Sleep;
  /** The tail of each channel's queue. */
  private readonly tails = new Map<Snowflake, Promise<void>>();
  /** What each waiting or failed send carries beyond the store's copy (attachments). */
  private readonly bodies = new Map<string, Outgoing>();
  private counter = 0;

  constructor(
    store: AppStore,
    ep: Pick<Endpoints, "sendMessage">,
    sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.store = store;
    this.ep = ep;
    this.sleep = sleep;
  }

  /** Queue a message; it is in the outbox (as sending) before this returns. Resolves with the
   * message the server stored, or null when it failed (it then waits for Retry or Delete). */
  send(channelId: Snowflake, outgoing: Outgoing): Promise<Message | null> {
    this.counter += 1;
    const nonce = `${Date.now().toString(36)}-${this.counter}`;
    this.bodies.set(nonce, outgoing);
    this.store.dispatch(
      sendQueued({
        nonce,
        channelId,
        content: outgoing.content,
        replyTo: outgoing.replyTo ?? null,
      }),
    );
    return this.enqueue(channelId, nonce);
  }

  /** Send a failed message again, behind whatever is queued in its channel now. */
  retry(channelId: Snowflake, nonce: string): Promise<Message | null> {
    if (!this.bodies.has(nonce)) return Promise.resolve(null);
    this.store.dispatch(sendStarted({ channelId, nonce }));
    return this.enqueue(channelId, nonce);
  }

  /** Forget a failed message. */
  discard(channelId: Snowflake, nonce: string): void {
    this.bodies.delete(nonce);
    this.store.dispatch(sendDone({ channelId, nonce }));
  }

  private enqueue(channelId: Snowflake, nonce: string): Promise<Message | null> {
    const previous = this.tails.get(channelId) ?? Promise.resolve();
    const result = previous.then(() => this.deliver(channelId, nonce));
    const tail = result.then(() => undefined);
    this.tails.set(channelId, tail);
    void tail.then(() => {
      if (this.tails.get(channelId) === tail) this.tails.delete(channelId);
    });
    return result;
  }

  /** One send, waiting out rate limits; never rejects. */
  private async deliver(channelId: Snowflake, nonce: string): Promise<Message | null> {
    const body = this.bodies.get(nonce);
    if (!body) return null;
    for (let refused = 0; ; refused += 1) {
      try {
        const message = await this.ep.sendMessage(channelId, {
          content: body.content,
          ...(body.replyTo ? { reply_to: body.replyTo } : {}),
          ...(body.attachments?.length ? { attachments: body.attachments } : {}),
        });
        this.bodies.delete(nonce);
        this.store.dispatch(messageUpserted(message));
        this.store.dispatch(sendDone({ channelId, nonce }));
        return message;
      } catch (error) {
        if (error instanceof ApiError && error.status === 429 && refused < RATE_LIMIT_RETRIES) {
          // Shown as sending meanwhile: the server said when it will take it.
          await this.sleep(retryDelay(error));
          continue;
        }
        this.store.dispatch(sendFailed({ channelId, nonce, error: failureText(error) }));
        return null;
      }
    }
  }
}

/** Words for a refused send; a rate limit's `retry_after` detail is for the client, not people. */
export function failureText(error: unknown): string {
  if (error instanceof ApiError && error.status === 429)
    return "You are sending messages too fast; the server did not take this one.";
  if (error instanceof ApiError && error.status === 0)
    return "The server cannot be reached; check the connection.";
  return errorText(error);
}
