/**
 * Message markdown as Discord reads it, parsed by discord-markdown-parser (simple-markdown with
 * Discord's rules) into a tree. There is no HTML rule: `<b>` in a message is text, and so is every
 * entity. Masked links keep their target only when it is http or https.
 */
import { rules as discordRules, SimpleMarkdown } from "discord-markdown-parser";

export type Node = { type: string; [key: string]: unknown };

/** The URL when it is an absolute http(s) URL, else null: no `javascript:`, `data:` or relative. */
export function safeUrl(target: unknown): string | null {
  if (typeof target !== "string") return null;
  try {
    const url = new URL(target);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

const { defaultRules, inlineRegex } = SimpleMarkdown;

// Parley's snowflakes are shorter than Discord's 17 digits early in its epoch: any length counts.
function token(regex: RegExp, node: (capture: RegExpExecArray) => Omit<Node, "type">) {
  return {
    order: defaultRules.strong.order,
    match: inlineRegex(regex),
    parse: (capture: RegExpExecArray) => node(capture),
  };
}

const link = {
  ...defaultRules.link,
  parse: (capture: RegExpExecArray, parse: (s: string, st: object) => Node[], state: object) => ({
    content: parse(capture[1], state),
    target: safeUrl(SimpleMarkdown.unescapeUrl(capture[2])),
    source: capture[0],
  }),
};

// Slash commands, timestamps and guild navigation are Discord's own: they stay text in Parley.
const DISCORD_ONLY = new Set(["slashCommand", "timestamp", "guildNavigation"]);
const kept = Object.fromEntries(
  Object.entries(discordRules).filter(([name]) => !DISCORD_ONLY.has(name)),
);

/**
 * simple-markdown's list runs on across a blank line into a list of the other kind: end it there,
 * so that "- a" then "1. b" after a blank line are two lists, bulleted then numbered.
 */
const list = {
  ...defaultRules.list,
  match: (source: string, state: object, prev: string) => {
    const capture = defaultRules.list.match(source, state as never, prev);
    if (!capture) return capture;
    const ordered = (bullet: string) => /^\d/.test(bullet);
    const other = new RegExp(`\\n{2,}( *)(${ordered(capture[2]) ? "[*+-]" : "\\d+\\."}) `);
    const end = capture[0].search(other);
    if (end < 0) return capture;
    const kept = capture[0].slice(0, end) + "\n\n";
    return Object.assign([kept, ...capture.slice(1)], { index: 0, input: source });
  },
};

const rules = {
  ...kept,
  link,
  list,
  user: token(/^<@!?(\d+)>/, (c) => ({ id: c[1] })),
  role: token(/^<@&(\d+)>/, (c) => ({ id: c[1] })),
  channel: token(/^<#(\d+)>/, (c) => ({ id: c[1] })),
  emoji: token(/^<(a)?:(\w{1,32}):(\d+)>/, (c) => ({
    animated: c[1] === "a",
    name: c[2],
    id: c[3],
  })),
};

const parser = SimpleMarkdown.parserFor(
  rules as unknown as Parameters<typeof SimpleMarkdown.parserFor>[0],
);

/** The message's content as a tree of nodes (`strong`, `codeBlock`, `user`, `link`, ...). */
export function parseMarkdown(content: string): Node[] {
  // `_list` lets lists start at the top level of a message, which the parser reads inline.
  return parser(content, { inline: true, _list: true }) as Node[];
}
