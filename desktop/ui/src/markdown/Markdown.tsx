/**
 * Renders a message's markdown tree as React elements. Every piece of message text reaches the DOM
 * as a text node (React escapes it); links are anchors only for http(s) targets.
 */
import { Box, Link } from "@mui/material";
import { Fragment, useEffect, useMemo, useState, type ReactNode } from "react";
import { CustomEmojiImage } from "../components/CustomEmoji";
import { parseMarkdown, safeUrl, type Node } from "./parse";

/** Names for the ids a message mentions; the renderer never looks anything up itself. */
export interface MentionNames {
  user: (id: string) => string;
  role: (id: string) => string;
  channel: (id: string) => string;
}

const mentionSx = {
  bgcolor: "rgba(88,101,242,0.3)",
  color: "#c9cdfb",
  borderRadius: 0.5,
  px: 0.25,
};

function Mention({ kind, children }: { kind: string; children: ReactNode }) {
  return (
    <Box component="span" className="mention" data-mention={kind} sx={mentionSx}>
      {children}
    </Box>
  );
}

function Spoiler({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  return (
    <Box
      component="span"
      className="spoiler"
      data-revealed={shown ? "true" : "false"}
      role={shown ? undefined : "button"}
      tabIndex={shown ? undefined : 0}
      aria-label={shown ? undefined : "Spoiler, click to reveal"}
      onClick={() => setShown(true)}
      onKeyDown={(e) => {
        if (e.key === "Enter" || e.key === " ") setShown(true);
      }}
      sx={{
        borderRadius: 0.5,
        px: 0.25,
        bgcolor: shown ? "rgba(255,255,255,0.1)" : "#1e1f22",
        color: shown ? "inherit" : "transparent",
        cursor: shown ? "text" : "pointer",
        "& *": shown ? {} : { visibility: "hidden" },
      }}
    >
      {children}
    </Box>
  );
}

function CodeBlock({ code, lang }: { code: string; lang: string }) {
  const [html, setHtml] = useState<{ code: string; lang: string; html: string } | null>(null);
  useEffect(() => {
    if (!lang) return;
    let live = true;
    void import("./highlight").then(({ highlight }) => {
      const value = highlight(code, lang.toLowerCase());
      if (live && value !== null) setHtml({ code, lang, html: value });
    });
    return () => {
      live = false;
    };
  }, [code, lang]);
  const highlighted = html && html.code === code && html.lang === lang ? html.html : null;
  return (
    <Box
      component="pre"
      sx={{
        my: 0.5,
        p: 1,
        bgcolor: "#2b2d31",
        border: "1px solid #1e1f22",
        borderRadius: 1,
        overflowX: "auto",
        whiteSpace: "pre",
        fontSize: "0.875em",
        // The theme's own padding and background would double the block's.
        "& code.hljs": { p: 0, bgcolor: "transparent" },
      }}
    >
      {highlighted !== null ? (
        // highlight.js escapes the code; its markup is only its own class-named spans.
        <code
          className={`hljs language-${lang}`}
          data-highlighted="yes"
          dangerouslySetInnerHTML={{ __html: highlighted }}
        />
      ) : (
        <code className={lang ? `language-${lang}` : undefined}>{code}</code>
      )}
    </Box>
  );
}

const inlineCodeSx = { bgcolor: "#2b2d31", borderRadius: 0.5, px: 0.5, fontSize: "0.875em" };
const headingSize: Record<number, string> = { 1: "1.5em", 2: "1.25em", 3: "1.1em" };

function renderNodes(nodes: Node[], names: MentionNames): ReactNode[] {
  return nodes.map((node, index) => <Fragment key={index}>{renderNode(node, names)}</Fragment>);
}

function children(node: Node, names: MentionNames): ReactNode {
  const content = node.content;
  if (Array.isArray(content)) return renderNodes(content as Node[], names);
  return typeof content === "string" ? content : null;
}

function renderNode(node: Node, names: MentionNames): ReactNode {
  switch (node.type) {
    case "text":
    case "escape":
      return String(node.content ?? "");
    case "br":
    case "newline":
      return "\n";
    case "strong":
      return <strong>{children(node, names)}</strong>;
    case "em":
      return <em>{children(node, names)}</em>;
    case "underline":
      return <u>{children(node, names)}</u>;
    case "strikethrough":
      return <s>{children(node, names)}</s>;
    case "inlineCode":
      return (
        <Box component="code" sx={inlineCodeSx}>
          {String(node.content ?? "")}
        </Box>
      );
    case "codeBlock":
      return <CodeBlock code={String(node.content ?? "")} lang={String(node.lang ?? "")} />;
    case "blockQuote":
      return (
        <Box
          component="blockquote"
          sx={{ m: 0, pl: 1.5, borderLeft: "4px solid #4e5058", whiteSpace: "pre-wrap" }}
        >
          {children(node, names)}
        </Box>
      );
    case "heading": {
      const level = Math.min(Math.max(Number(node.level) || 1, 1), 3);
      return (
        <Box
          component={`h${level}` as "h1"}
          sx={{ m: 0, mt: 0.5, fontSize: headingSize[level], fontWeight: 700 }}
        >
          {children(node, names)}
        </Box>
      );
    }
    case "subtext":
      return (
        <Box component="small" sx={{ color: "text.secondary", display: "block" }}>
          {children(node, names)}
        </Box>
      );
    case "list": {
      const items = (node.items as Node[][]).map((item, index) => (
        <li key={index}>{renderNodes(trimNewlines(item), names)}</li>
      ));
      const sx = { my: 0.25, pl: 3, whiteSpace: "normal" };
      return node.ordered ? (
        <Box component="ol" start={Number(node.start) || 1} sx={sx}>
          {items}
        </Box>
      ) : (
        <Box component="ul" sx={sx}>
          {items}
        </Box>
      );
    }
    case "spoiler":
      return <Spoiler>{children(node, names)}</Spoiler>;
    case "link":
    case "url":
    case "autolink": {
      const href = safeUrl(node.target);
      // A masked link to anything but http(s) shows what was typed, as text.
      if (href === null)
        return typeof node.source === "string" ? node.source : children(node, names);
      return (
        <Link href={href} target="_blank" rel="noopener noreferrer" title={href}>
          {children(node, names)}
        </Link>
      );
    }
    case "user":
      return <Mention kind="user">@{names.user(String(node.id))}</Mention>;
    case "role":
      return <Mention kind="role">@{names.role(String(node.id))}</Mention>;
    case "channel":
      return <Mention kind="channel">#{names.channel(String(node.id))}</Mention>;
    case "everyone":
      return <Mention kind="everyone">@everyone</Mention>;
    case "here":
      return <Mention kind="here">@here</Mention>;
    case "emoji":
      // A custom emoji: its image by id (React sets the name as an attribute, never markup).
      return <CustomEmojiImage id={String(node.id)} name={String(node.name)} />;
    case "twemoji":
      return String(node.name ?? "");
    default:
      return children(node, names);
  }
}

function trimNewlines(nodes: Node[]): Node[] {
  let end = nodes.length;
  while (end > 0 && (nodes[end - 1].type === "newline" || nodes[end - 1].type === "br")) end--;
  return nodes.slice(0, end);
}

/** Discord shows a message of nothing but emoji (at most 27 of them) large. */
const JUMBO_MAX = 27;

function onlyEmoji(nodes: Node[]): boolean {
  let count = 0;
  for (const node of nodes) {
    if (node.type === "emoji" || node.type === "twemoji") count++;
    else if (node.type !== "text" || String(node.content ?? "").trim() !== "") return false;
  }
  return count > 0 && count <= JUMBO_MAX;
}

/** A message's content as markdown, with mentions named by `names`. */
export default function Markdown({ content, names }: { content: string; names: MentionNames }) {
  const nodes = useMemo(() => parseMarkdown(content), [content]);
  const rendered = renderNodes(nodes, names);
  if (!onlyEmoji(nodes) || !nodes.some((n) => n.type === "emoji")) return <>{rendered}</>;
  return (
    <Box
      component="span"
      className="jumbo-emoji"
      sx={{ "& .custom-emoji": { width: 48, height: 48 }, fontSize: "2.5em", lineHeight: 1.2 }}
    >
      {rendered}
    </Box>
  );
}
