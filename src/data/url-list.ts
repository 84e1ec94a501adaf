// Parsing the URL lists people drop: one URL per line (Google Images / fast.ai style), or a CSV
// with a column of URLs, header or not, quoted fields, CRLF or LF, optional BOM.

export interface ParsedUrlList {
  className: string;
  urls: string[];
  skipped: { blank: number; duplicate: number; invalid: number };
}

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

function asHttpUrl(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function parseUrlList(text: string, fileName: string): ParsedUrlList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const urls: string[] = [];
  const seen = new Set<string>();
  const skipped = { blank: 0, duplicate: 0, invalid: 0 };
  let urlColumn: number | null = null;
  lines.forEach((line, index) => {
    if (!line.trim()) {
      // A trailing newline is not a skipped line.
      if (index < lines.length - 1 || line.length) skipped.blank++;
      return;
    }
    const fields =
      line.includes(',') || line.includes('"') || line.includes('\t') ? csvFields(line) : [line.trim()];
    if (urlColumn === null) {
      const found = fields.findIndex((f) => asHttpUrl(f));
      if (found === -1) {
        // A header row ("url", "image_url", …) before any URL is not an error.
        if (index === 0 || urls.length === 0) {
          if (!fields.some((f) => /^https?:/i.test(f))) {
            if (index !== 0) skipped.invalid++;
            return;
          }
        }
        skipped.invalid++;
        return;
      }
      urlColumn = fields.length > 1 ? found : 0;
    }
    const url = asHttpUrl(fields[urlColumn] ?? '') ?? fields.map(asHttpUrl).find(Boolean) ?? null;
    if (!url) {
      skipped.invalid++;
      return;
    }
    if (seen.has(url)) {
      skipped.duplicate++;
      return;
    }
    seen.add(url);
    urls.push(url);
  });
  return { className: classNameFromFileName(fileName), urls, skipped };
}

/** Back to a one-URL-per-line file, as fast.ai reads them. */
export function toUrlList(urls: readonly string[]): string {
  return urls.join('\n') + (urls.length ? '\n' : '');
}

function csvQuote(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvQuote).join(',')).join('\n') + '\n';
}
