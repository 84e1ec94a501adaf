// Parsing the URL lists people drop: one URL per line (Google Images / fast.ai style), or a CSV
// with a column of URLs, header or not, quoted fields, CRLF or LF, optional BOM.
//
// A line that is a valid http(s) URL as a whole is one URL, whatever commas, semicolons or quotes it
// holds (Wikimedia's `…_The_Night_Watch,_1642.jpg`, image CDNs' `w_300,h_200/`): CSV splitting applies
// only to lines that are not a URL as a whole, and to every line of a file that starts with a header.

/** A line of a list that is not downloaded, and why (shown to the user with its line number). */
export interface RefusedLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line as shown to the user: credentials removed, at most MAX_SHOWN_LINE characters. */
  text: string;
  reason: string;
}

export interface ParsedUrlList {
  className: string;
  urls: string[];
  skipped: { blank: number; duplicate: number; invalid: number };
  /** Every refused line (invalid.length === skipped.invalid), in file order. */
  refused: RefusedLine[];
}

const MAX_SHOWN_LINE = 200;

/** `urls_<class>.csv` → `<class>`; otherwise the base name without extension. */
export function classNameFromFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(/\.[^.]+$/, '');
  const name = stem.replace(/^urls?[_-]/i, '').trim();
  return name || stem || 'unnamed';
}

/** Splits one CSV line into fields, honouring double quotes ("" is a literal quote). */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === ';' || ch === '\t') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

export type UrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

/** Whether a text is a downloadable image URL: absolute http(s), no credentials, no spaces around. */
export function checkUrl(text: string): UrlVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: /^[a-z][a-z0-9+.-]*:/i.test(text) ? 'malformed URL' : 'not an absolute URL' };
  }
  if (url.protocol === 'x-raw-image:') {
    // Google Images' scraper writes these for thumbnails embedded in its page: no file behind them.
    return {
      ok: false,
      reason: 'a thumbnail embedded in the Google Images page (x-raw-image:), no URL to fetch',
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `not an http(s) URL (${url.protocol})` };
  }
  if (url.username || url.password) return { ok: false, reason: 'contains a user name or password' };
  return { ok: true, url: url.href };
}

/** A URL or line as it may be shown or exported: any `user:password@` part removed, length bounded. */
export function redactCredentials(text: string): string {
  const cleaned = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/i, '$1***@');
  return cleaned.length > MAX_SHOWN_LINE ? `${cleaned.slice(0, MAX_SHOWN_LINE - 1)}…` : cleaned;
}

/** A header row ("url", "title,image_url,width", …): no field looks like a URL. */
function isHeader(fields: string[]): boolean {
  return !fields.some((f) => /^[a-z][a-z0-9+.-]*:/i.test(f) || f.includes('/'));
}

export function parseUrlList(text: string, fileName: string): ParsedUrlList {
  const parser = new UrlListParser(fileName);
  parser.push(text, true);
  return parser.result();
}

/**
 * The same parser fed in chunks (a 50 MB list is read piece by piece off the main thread): a line
 * cut at a chunk's end waits for the next chunk.
 */
export class UrlListParser {
  private readonly urls: string[] = [];
  private readonly seen = new Set<string>();
  private readonly skipped = { blank: 0, duplicate: 0, invalid: 0 };
  private readonly refused: RefusedLine[] = [];
  private urlColumn: number | null = null;
  /** True when the file starts with a header row: every line is then a CSV record. */
  private csv = false;
  private lineNumber = 0;
  private rest = '';
  private started = false;

  constructor(private readonly fileName: string) {}

  push(chunk: string, last = false): void {
    let text = this.rest + chunk;
    if (!this.started) {
      text = text.replace(/^\uFEFF/, '');
      this.started = true;
    }
    // A chunk may end mid-line (or between \r and \n): keep what follows the last \n for the next one.
    const end = last ? text.length : text.lastIndexOf('\n') + 1;
    this.rest = text.slice(end);
    const lines = text.slice(0, end).split(/\r\n|\n|\r/);
    // The piece after the last separator: '' (or, at the very end, a last line without newline).
    const tail = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    if (last && tail) this.line(tail);
  }

  result(): ParsedUrlList {
    return {
      className: classNameFromFileName(this.fileName),
      urls: this.urls,
      skipped: { ...this.skipped },
      refused: this.refused,
    };
  }

  private refuse(text: string, reason: string): void {
    this.skipped.invalid++;
    this.refused.push({ line: this.lineNumber, text: redactCredentials(text.trim()), reason });
  }

  private line(line: string): void {
    this.lineNumber++;
    const trimmed = line.trim();
    if (!trimmed) {
      this.skipped.blank++;
      return;
    }
    const whole = this.csv ? null : checkUrl(trimmed);
    let verdict: UrlVerdict;
    if (whole?.ok) verdict = whole;
    else if (!/[,;\t"]/.test(trimmed)) verdict = whole ?? checkUrl(trimmed);
    else {
      const fields = csvFields(trimmed);
      if (this.lineNumber === 1 && this.urls.length === 0 && fields.length > 1 && isHeader(fields)) {
        this.csv = true;
        return;
      }
      verdict = this.fromFields(fields);
    }
    if (!verdict.ok) {
      // A one-word header ("url", "image_url") on the first line is not an error.
      if (this.lineNumber === 1 && isHeader([trimmed])) return;
      this.refuse(trimmed, verdict.reason);
      return;
    }
    if (this.seen.has(verdict.url)) {
      this.skipped.duplicate++;
      return;
    }
    this.seen.add(verdict.url);
    this.urls.push(verdict.url);
  }

  /** The URL field of a CSV record: the column where the first URL was found, else any URL field. */
  private fromFields(fields: string[]): UrlVerdict {
    if (this.urlColumn !== null) {
      const atColumn = checkUrl(fields[this.urlColumn] ?? '');
      if (atColumn.ok) return atColumn;
    }
    let firstRefusal: UrlVerdict | null = null;
    for (let i = 0; i < fields.length; i++) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(fields[i])) continue;
      const verdict = checkUrl(fields[i]);
      if (verdict.ok) {
        this.urlColumn ??= i;
        return verdict;
      }
      firstRefusal ??= verdict;
    }
    return firstRefusal ?? { ok: false, reason: 'no URL in this line' };
  }
}

/** Back to a one-URL-per-line file, as fast.ai reads them. */
export function toUrlList(urls: readonly string[]): string {
  return urls.map(redactCredentials).join('\n') + (urls.length ? '\n' : '');
}

/**
 * One CSV cell. Cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) are
 * neutralised with a leading apostrophe (OWASP's advice for CSV injection).
 */
function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  // Also ; and tab: csvFields (and many spreadsheets) split on them too.
  return /[",;\t\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}
