// A small worker of its own for dropped URL lists: a 50 MB list is read and parsed here in chunks,
// stored as a pending job in IndexedDB, and only its summary goes back to the page (whose main
// thread never holds the URLs). Separate from the ML worker, which may be busy training.
import { openStudioDb, StorageError } from '../../data/db';
import { savePendingList } from '../../data/jobs';
import { UrlListParser } from '../../data/url-list';
import type { ParseListCommand, ParseListEvent } from '../../protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: ParseListEvent) => scope.postMessage(event);

async function parse({ id, file, fileName }: ParseListCommand): Promise<void> {
  const parser = new UrlListParser(fileName);
  const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
  let bytes = 0;
  let reported = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    parser.push(next.value);
    bytes += next.value.length;
    if (bytes - reported > 1_000_000) {
      reported = bytes;
      post({ id, type: 'progress', bytes: Math.min(bytes, file.size), total: file.size });
    }
  }
  parser.push('', true);
  const list = await savePendingList(await openStudioDb(), parser.result(), fileName);
  post({ id, type: 'done', list });
}

scope.addEventListener('message', (event: MessageEvent<ParseListCommand>) => {
  parse(event.data).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof StorageError ? (error.full ? 'storage-full' : 'storage') : 'unreadable';
    post({ id: event.data.id, type: 'failed', code, message });
  });
});
