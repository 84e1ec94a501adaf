import { describe, expect, it } from 'vitest';
import { failureCode, isBackendName, isCommand, isWorkerEvent, REQUESTS, StudioError } from '../src/protocol';

describe('protocol guards', () => {
  it('accepts well-formed worker events', () => {
    expect(isWorkerEvent({ type: 'model', state: { kind: 'ready' } })).toBe(true);
    expect(isWorkerEvent({ type: 'reply', id: 3, result: [] })).toBe(true);
    expect(isWorkerEvent({ type: 'failed', id: 3, code: 'no-model', message: 'no' })).toBe(true);
  });
  it('rejects foreign or malformed messages', () => {
    expect(isWorkerEvent(null)).toBe(false);
    expect(isWorkerEvent('ready')).toBe(false);
    expect(isWorkerEvent({ type: 'hello' })).toBe(false);
    expect(isWorkerEvent({ type: 'reply' })).toBe(false);
    expect(isWorkerEvent({ type: 'failed', id: 1 })).toBe(false);
    expect(isWorkerEvent({ type: 'failed', id: 1, message: 'untyped' })).toBe(false);
    expect(isWorkerEvent({ type: 'failed', id: 1, code: 'oops', message: 'unknown code' })).toBe(false);
    expect(isWorkerEvent({ type: 'fatal' })).toBe(false);
  });
  it('checks commands', () => {
    expect(isCommand({ type: 'init', options: { modelUrl: 'm', labelsUrl: 'l' } })).toBe(true);
    expect(isCommand({ type: 'request', id: 1, name: 'memory', args: {} })).toBe(true);
    expect(isCommand({ type: 'request', name: 'memory' })).toBe(false);
    expect(isCommand({ type: 'init' })).toBe(false);
  });
  it('knows the backends', () => {
    expect(isBackendName('webgpu')).toBe(true);
    expect(isBackendName('wasm')).toBe(true);
    expect(isBackendName('metal')).toBe(false);
  });
});

describe('every worker event type passes the guard', () => {
  it('accepts each event the worker emits', () => {
    for (const type of ['device', 'model', 'ingest', 'train', 'epoch', 'dataset']) {
      expect(isWorkerEvent({ type, device: {}, state: {}, progress: {}, row: {} }), type).toBe(true);
    }
  });
});

describe('request table and typed failures', () => {
  it('declares each request once, with what the bridge and worker need', () => {
    expect(REQUESTS.fit).toMatchObject({ model: true, job: 'train', backward: true });
    expect(REQUESTS.ingest.model).toBe(false);
    expect(REQUESTS.trainCancel.model).toBe(false); // answers while a job runs
    // Every long job has a label for the header.
    for (const [name, traits] of Object.entries(REQUESTS))
      if ('job' in traits) expect(traits.label, name).toBeTruthy();
  });
  it('carries a code that code can branch on, whatever the message says', () => {
    const error = new StudioError('no-model', 'Anything at all.');
    expect(failureCode(error)).toBe('no-model');
    expect(failureCode(new Error('No trained model yet'))).toBe('failed');
  });
});
