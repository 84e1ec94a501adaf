// What a person reads when something fails: never an empty message, never "Unknown error".
import { describe, expect, it } from 'vitest';
import { quotaDetail, StorageError } from '../src/data/db';
import { Cancelled } from '../src/ml/cancel';
import { StudioError, type EpochRow } from '../src/protocol';
import { failureCodeOf, humanMessage, rawFailure, unreadableImage } from '../src/worker/errors';
import { decodeBatch } from '../src/worker/train/data';
import { autosaveRefused } from '../src/worker/train/session';

describe('humanMessage', () => {
  it("names a browser failure that carries only a name (IndexedDB's UnknownError)", () => {
    const error = new DOMException('', 'UnknownError');
    expect(humanMessage(error)).toBe('UnknownError (the browser gave no details)');
    expect(humanMessage(new Error(''))).toBe('An error the browser gave no details of');
    expect(humanMessage(new DOMException('Failed to write blobs.', 'UnknownError'))).toBe(
      'Failed to write blobs.',
    );
  });

  it('types a refused write by its reason', () => {
    expect(failureCodeOf(new StorageError('The browser storage is full.', true))).toBe('storage-full');
    expect(failureCodeOf(new StorageError('The browser refused to store data (UnknownError).', false))).toBe(
      'failed',
    );
  });
});

describe('autosaveRefused', () => {
  const row = { epoch: 0, stage: 'unfrozen' } as EpochRow;

  it('says the epoch is kept, why the save failed, and what to do', () => {
    const full = autosaveRefused(row, new StorageError('The browser storage is full.', true));
    expect(full).toContain('Epoch 1 (unfrozen) is trained, but its automatic save failed');
    expect(full).toContain('the browser storage is full');
    expect(full).toContain('free space');
    const other = autosaveRefused(
      row,
      new StorageError('The browser refused to store data (UnknownError: no details given).', false),
    );
    expect(other).toContain('failed: The browser refused to store data (UnknownError: no details given).');
    expect(other).not.toContain('free space');
    expect(other).toContain('kept in memory');
  });

  it("gives a full quota's figures, as the 20,000-image run's refused save needed", () => {
    const detail = quotaDetail(4.21e9, 4.33e9, 307e6, 'QuotaExceededError');
    expect(detail).toBe(
      "4.21 GB of this site's 4.33 GB quota in use, 307.0 MB more needed; the browser said QuotaExceededError",
    );
    expect(quotaDetail(20e3, 50e6, 0, 'UnknownError')).toBe(
      "0.0 MB of this site's 50.0 MB quota in use; the browser said UnknownError",
    );
    const notice = autosaveRefused(
      row,
      new StorageError(`The browser storage is full (${detail}).`, true, detail),
    );
    expect(notice).toContain(`automatic save failed: the browser storage is full (${detail}).`);
    expect(notice).toContain('a private window allows far less storage');
  });
});

describe('rawFailure', () => {
  it("keeps a failure's type, message and stack for the console, whatever was thrown", () => {
    const unknown = rawFailure(new DOMException('', 'UnknownError'));
    expect(unknown.split('\n')[0]).toBe('UnknownError: (empty message)');
    const error = new RangeError('Array buffer allocation failed');
    const raw = rawFailure(error);
    expect(raw.split('\n')[0]).toBe('RangeError: Array buffer allocation failed');
    expect(raw).toContain(error.stack!.split('\n')[1]!.trim());
    expect(rawFailure(undefined)).toBe('undefined: undefined');
    expect(rawFailure(42)).toBe('number: 42');
  });
});

describe('unreadableImage', () => {
  // The browser's decoder is the thing that fails here; these decoders fail as Chromium's does.
  const lost = () =>
    Promise.reject(new DOMException('The requested file could not be read.', 'NotReadableError'));
  const corrupt = () =>
    Promise.reject(new DOMException('The source image could not be decoded.', 'InvalidStateError'));
  const examples = [
    { id: 7, label: 0, blob: new Blob(['a']), url: 'http://127.0.0.1:4599/cubism/a.jpg' },
    { id: 12, label: 1, blob: new Blob(['b']) },
  ];

  it("names the stored image and why: the browser lost its data, or the bytes don't decode", async () => {
    const gone = await decodeBatch(examples.slice(0, 1), 32, null, lost).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(StudioError);
    expect(failureCodeOf(gone)).toBe('invalid-input');
    expect(humanMessage(gone)).toBe(
      'The stored image http://127.0.0.1:4599/cubism/a.jpg could not be read back (NotReadableError: The ' +
        'requested file could not be read): the browser holds image data in memory only up to a limit, ' +
        'about 2 GB in a private window. Use a normal window, or fewer or smaller images.',
    );
    const bad = await decodeBatch(examples.slice(1), 32, null, corrupt).catch((e: unknown) => e);
    expect(humanMessage(bad)).toBe(
      'The stored image #12 could not be decoded (InvalidStateError: The source image could not be decoded). ' +
        "It shows as a broken picture in the Data tab's show_batch: delete it there, then train again.",
    );
  });

  it('names a file the person handed in as a file, and lets memory and cancels through untouched', async () => {
    const given = await decodeBatch(examples.slice(0, 1), 32, null, corrupt, false).catch((e: unknown) => e);
    expect(humanMessage(given)).toBe(
      'This file is not an image the browser can decode, or it is corrupt ' +
        '(InvalidStateError: The source image could not be decoded).',
    );
    const oom = new RangeError('Array buffer allocation failed');
    expect(unreadableImage(oom, examples[0])).toBe(oom);
    const cancelled = new Cancelled();
    expect(unreadableImage(cancelled, examples[0])).toBe(cancelled);
    const typed = new StudioError('no-model', 'No model.');
    expect(unreadableImage(typed, null)).toBe(typed);
  });
});
