// What a person reads when something fails: never an empty message, never "Unknown error".
import { describe, expect, it } from 'vitest';
import { quotaDetail, StorageError } from '../src/data/db';
import type { EpochRow } from '../src/protocol';
import { failureCodeOf, humanMessage, rawFailure } from '../src/worker/errors';
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
