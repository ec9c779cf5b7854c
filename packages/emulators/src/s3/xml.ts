/**
 * Just enough XML for the S3 REST protocol: escaping for responses and a small, strict parser for the request
 * bodies S3 accepts (DeleteObjects, CompleteMultipartUpload, CreateBucketConfiguration).
 */

import { S3Error } from "./errors";

/**
 * Escapes text for an element body. Control characters, CR and LF become character references so they survive
 * XML end-of-line normalization in the client's parser (a key may contain any character).
 */
export function escapeXml(value: string): string {
  // Control characters are matched on purpose: they must be written as character references.
  // eslint-disable-next-line no-control-regex
  return value.replace(/[&<>"'\u0000-\u001f\u007f\u0085\u2028]/g, (ch) => {
    switch (ch) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#x${ch.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `<Name>escaped value</Name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

export interface XmlElement {
  /** Local name (any namespace prefix removed). */
  name: string;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded, whitespace kept). */
  text: string;
}

export function childrenNamed(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name);
}

export function childText(parent: XmlElement, name: string): string | undefined {
  return parent.children.find((c) => c.name === name)?.text;
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function malformed(detail: string): S3Error {
  return new S3Error("MalformedXML", `The XML you provided was not well-formed or did not validate against our published schema (${detail})`);
}

function decodeEntities(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]{1,10});/g, (_m, ent: string) => {
    if (ent.startsWith("#x") || ent.startsWith("#X")) {
      const cp = Number.parseInt(ent.slice(2), 16);
      if (!/^[0-9a-fA-F]+$/.test(ent.slice(2)) || cp > 0x10ffff) throw malformed(`bad character reference &${ent};`);
      return String.fromCodePoint(cp);
    }
    if (ent.startsWith("#")) {
      const cp = Number.parseInt(ent.slice(1), 10);
      if (!/^[0-9]+$/.test(ent.slice(1)) || cp > 0x10ffff) throw malformed(`bad character reference &${ent};`);
      return String.fromCodePoint(cp);
    }
    const named = NAMED_ENTITIES[ent];
    if (named === undefined) throw malformed(`unknown entity &${ent};`);
    return named;
  });
}

const NAME_RE = /^[A-Za-z_][\w.\-:]*$/;

/** Parses a whole document into its root element. Rejects DTDs (no entity expansion), throws MalformedXML. */
export function parseXml(input: string): XmlElement {
  // XML end-of-line normalization happens before references are expanded, so &#13; survives as CR.
  const x = input.replace(/\r\n?/g, "\n");
  let i = 0;
  const n = x.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const expect = (s: string): number => {
    const at = x.indexOf(s, i);
    if (at < 0) throw malformed(`expected ${s}`);
    return at;
  };

  if (x.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = x.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const text = x.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== "") throw malformed("text outside the root element");
      i = textEnd;
      continue;
    }
    // at "<"
    if (x.startsWith("<?", i)) {
      i = expect("?>") + 2;
    } else if (x.startsWith("<!--", i)) {
      i = expect("-->") + 3;
    } else if (x.startsWith("<![CDATA[", i)) {
      const top = stack[stack.length - 1];
      if (!top) throw malformed("CDATA outside the root element");
      const end = x.indexOf("]]>", i + 9);
      if (end < 0) throw malformed("unterminated CDATA");
      top.text += x.slice(i + 9, end);
      i = end + 3;
    } else if (x.startsWith("<!", i)) {
      throw malformed("DTDs are not accepted");
    } else if (x.startsWith("</", i)) {
      const end = expect(">");
      const name = x.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || localName(name) !== top.name) throw malformed(`mismatched closing tag </${name}>`);
      i = end + 1;
    } else {
      const end = findTagEnd(x, i + 1);
      let inner = x.slice(i + 1, end);
      const selfClosing = inner.endsWith("/");
      if (selfClosing) inner = inner.slice(0, -1);
      const nameMatch = /^[^\s/>]+/.exec(inner);
      const name = nameMatch?.[0] ?? "";
      if (!NAME_RE.test(name)) throw malformed(`bad element name ${JSON.stringify(name)}`);
      const element: XmlElement = { name: localName(name), children: [], text: "" };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) throw malformed("more than one root element");
      else root = element;
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }
  if (stack.length > 0) throw malformed(`unclosed element <${stack[stack.length - 1]?.name}>`);
  if (!root) throw malformed("no root element");
  return root;
}

function localName(name: string): string {
  const colon = name.lastIndexOf(":");
  return colon >= 0 ? name.slice(colon + 1) : name;
}

/** Index of the ">" closing a start tag, skipping quoted attribute values. */
function findTagEnd(x: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < x.length; j++) {
    const c = x[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ">") {
      return j;
    } else if (c === "<") {
      break;
    }
  }
  throw malformed("unterminated start tag");
}
