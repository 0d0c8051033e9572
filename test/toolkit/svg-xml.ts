// A small strict XML 1.0 well-formedness checker for the report's SVG (no XML parser is among the
// project's dependencies, and one is not worth adding for a test): one root element, tags nested
// and closed in order, attribute names unique and values quoted, no raw `<` or stray `&` in text or
// values, only the five predefined and numeric character references, only characters XML allows.
// No DTDs, CDATA or processing instructions other than the XML declaration: the SVG never writes
// them, so meeting one is a failure. Returns the element tree, with entities decoded.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (children's excluded), decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string, where: string): string {
  return s.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`bare '&' in ${where}`);
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!num) throw new Error(`unknown entity &${ref}; in ${where}`);
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
    const ch = String.fromCodePoint(cp);
    if (BAD_CHAR.test(ch) || cp > 0x10ffff) throw new Error(`character reference &${ref}; is not an XML character`);
    return ch;
  });
}

export function parseXml(src: string): XmlElement {
  const bad = BAD_CHAR.exec(src);
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} is not allowed in XML (at ${bad.index})`);
  let i = 0;
  const fail = (why: string): never => { throw new Error(`${why} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`); };
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0];
      i += ws.length;
      if (src.startsWith("<!--", i)) {
        const end = src.indexOf("-->", i + 4);
        if (end < 0) fail("unclosed comment");
        if (src.slice(i + 4, end).includes("--")) fail("'--' inside a comment");
        i = end + 3;
      } else return;
    }
  };
  if (src.startsWith("<?xml", 0)) {
    const end = src.indexOf("?>");
    if (end < 0) fail("unclosed XML declaration");
    i = end + 2;
  }
  skipMisc();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    if (src.startsWith("<!--", i)) { skipMisc(); continue; }
    if (src[i] === "<" && src[i + 1] === "/") {
      i += 2;
      const name = NAME.exec(src.slice(i))?.[0] ?? fail("bad end tag name");
      i += name.length;
      i += /^\s*/.exec(src.slice(i))![0].length;
      if (src[i] !== ">") fail("'>' expected");
      i++;
      const open = stack.pop() ?? fail(`end tag </${name}> without a start tag`);
      if (open.name !== name) fail(`</${name}> closes <${open.name}>`);
      if (stack.length === 0) { skipMisc(); if (i < src.length) fail("content after the root element"); }
      continue;
    }
    if (src[i] === "<") {
      if (/^<[!?]/.test(src.slice(i))) fail("DTD, CDATA or processing instruction");
      i++;
      const name = NAME.exec(src.slice(i))?.[0] ?? fail("bad tag name");
      i += name.length;
      const el: XmlElement = { name, attrs: {}, children: [], text: "" };
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))![0];
        i += ws.length;
        if (src.startsWith("/>", i) || src[i] === ">") break;
        if (!ws) fail("whitespace expected before an attribute");
        const an = NAME.exec(src.slice(i))?.[0] ?? fail("bad attribute name");
        i += an.length;
        if (src[i] !== "=") fail("'=' expected");
        const q = src[i + 1];
        if (q !== '"' && q !== "'") fail("quoted attribute value expected");
        const end = src.indexOf(q, i + 2);
        if (end < 0) fail("unclosed attribute value");
        const raw = src.slice(i + 2, end);
        if (raw.includes("<")) fail(`'<' in the value of ${an}`);
        if (an in el.attrs) fail(`attribute ${an} given twice`);
        el.attrs[an] = decode(raw, `attribute ${an}`);
        i = end + 1;
      }
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) fail("a second root element");
      else root = el;
      if (src.startsWith("/>", i)) {
        i += 2;
        if (stack.length === 0) { skipMisc(); if (i < src.length) fail("content after the root element"); }
      } else {
        i++;
        stack.push(el);
      }
      continue;
    }
    const next = src.indexOf("<", i);
    const raw = src.slice(i, next < 0 ? src.length : next);
    if (stack.length === 0) fail("text outside the root element");
    if (raw.includes("]]>")) fail("']]>' in text");
    stack[stack.length - 1]!.text += decode(raw, "text");
    i += raw.length;
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  return root ?? fail("no root element");
}

/** Every element under (and including) `root` for which `pred` holds, in document order. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => { if (pred(e)) out.push(e); e.children.forEach(walk); };
  walk(root);
  return out;
}

/** Elements whose class list holds `cls`. */
export const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => (e.attrs.class ?? "").split(/\s+/).includes(cls));

/** The text of an element's <title> child. */
export const titleOf = (e: XmlElement) => e.children.find((c) => c.name === "title")?.text;
