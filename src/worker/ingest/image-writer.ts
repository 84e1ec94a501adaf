// Groups the images a download pool verifies into shared transactions: each waits at most a few
// milliseconds for company, and learns its own outcome (or its batch's storage error).
import { type StudioDb } from '../../data/db';
import { addImages, type AddOutcome } from '../../data/images';
import type { ImageRecord } from '../../data/schema';

const BATCH = 16;
const WAIT_MS = 30;

interface Queued {
  record: ImageRecord;
  resolve(outcome: AddOutcome): void;
  reject(error: unknown): void;
}

export class ImageWriter {
  private queue: Queued[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly db: StudioDb,
    private readonly maxPerClass: number,
  ) {}

  add(record: ImageRecord): Promise<AddOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.queue.length >= BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), WAIT_MS);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    addImages(
      this.db,
      batch.map((q) => q.record),
      this.maxPerClass,
    ).then(
      (outcomes) => batch.forEach((q, i) => q.resolve(outcomes[i])),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  }
}
