import type { Snowflake } from "../api/types";

/** Compare two snowflakes numerically: they are 64-bit, beyond a JS number's exact range. */
export function compareSnowflakes(a: Snowflake, b: Snowflake): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parley's epoch (shared/ids.py): 2026-01-01T00:00:00Z. The top 42 bits are ms since it. */
export const PARLEY_EPOCH_MS = 1767225600000;

export function snowflakeTime(id: Snowflake, epoch = PARLEY_EPOCH_MS): Date {
  return new Date(Number(BigInt(id) >> 22n) + epoch);
}
