// The image relay over real HTTP on 127.0.0.1: what it fetches, and what it refuses before any
// connection. Every destination that must be refused is an IP literal (or localhost, answered by
// /etc/hosts): no DNS query and no packet leaves this machine; the upstream spy proves no connect.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_HEADER, RELAY_PATH } from '../src/protocol';
import { addressKind } from '../src/server/address-policy';
import { connectUpstream, createRelay, DEFAULT_RELAY_OPTIONS, type Upstream } from '../src/server/relay';
import { jpeg } from './support/image-bytes';

const IMAGE = jpeg(40, 30);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let fixture: Server;
let fixtureHost = '';
const hits: string[] = [];

beforeAll(async () => {
  fixture = createServer((req, res) => {
    // A cookie reaching the host would show in its log: the relay forwards none.
    hits.push(`${req.url}${req.headers.cookie ? ' +cookie' : ''}`);
    if (req.url === '/a.jpg') return res.end(IMAGE);
    if (req.url === '/page.html') return res.end('<!doctype html><p>hi</p>');
    if (req.url === '/busy.jpg') return res.writeHead(503).end();
    if (req.url === '/big.jpg') return res.writeHead(200, { 'Content-Length': 30_000_000 }).end();
    if (req.url === '/to-private') return res.writeHead(302, { Location: 'http://10.1.2.3/x.jpg' }).end();
    if (req.url === '/to-a') return res.writeHead(301, { Location: '/a.jpg' }).end();
    if (req.url === '/loop') return res.writeHead(302, { Location: '/loop' }).end();
    res.writeHead(404).end();
  });
  fixtureHost = await listen(fixture);
});
afterAll(() => fixture.close());

interface Relay {
  host: string;
  connects: string[];
  get(target: string, headers?: Record<string, string>, method?: string): Promise<Response>;
  close(): void;
}

async function startRelay(allowLoopback: boolean): Promise<Relay> {
  const connects: string[] = [];
  const spy: Upstream = (url, address, family, signal) => {
    connects.push(`${address} ${url.href}`);
    // A guard of the test itself: even a broken relay never sends a packet off this machine.
    if (addressKind(address) !== 'loopback') return Promise.reject(new Error('test guard: not loopback'));
    return connectUpstream(url, address, family, signal);
  };
  const relay = createRelay({ ...DEFAULT_RELAY_OPTIONS, allowLoopback, maxBytes: 1_000_000 }, spy);
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url?.startsWith(RELAY_PATH)) void relay(req, res);
    else res.writeHead(404).end();
  });
  const host = await listen(server);
  return {
    host,
    connects,
    get: (target, headers = {}, method = 'GET') =>
      fetch(`http://${host}${RELAY_PATH}?url=${encodeURIComponent(target)}`, {
        method,
        headers: { 'sec-fetch-site': 'same-origin', cookie: 'session=1', ...headers },
      }),
    close: () => server.close(),
  };
}

/** A GET with a Host header of our choosing (fetch does not let a caller set Host). */
function rawStatus(relayHost: string, target: string, headers: Record<string, string>): Promise<number> {
  const [hostname, port] = relayHost.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path: `${RELAY_PATH}?url=${encodeURIComponent(target)}`,
        headers: { 'sec-fetch-site': 'same-origin', ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('image relay', () => {
  let open: Relay;
  let strict: Relay;
  beforeAll(async () => {
    open = await startRelay(true);
    strict = await startRelay(false);
  });
  afterAll(() => {
    open.close();
    strict.close();
  });

  it('relays an image from an allowed host, sniffed, without forwarding cookies', async () => {
    const response = await open.get(`http://${fixtureHost}/a.jpg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get(RELAY_HEADER)).toBe('1');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(IMAGE);
    expect(hits.at(-1)).toBe('/a.jpg');
    const redirected = await open.get(`http://${fixtureHost}/to-a`);
    expect(redirected.status).toBe(200);
  });

  it('refuses loopback destinations without the test switch, before any connection', async () => {
    const before = hits.length;
    const loopbacks = [
      `http://${fixtureHost}/a.jpg`,
      'http://localhost:1/a.jpg',
      'http://[::1]:1/a.jpg',
      'http://[::ffff:7f00:1]:1/a.jpg',
    ];
    for (const target of loopbacks) {
      const response = await strict.get(target);
      expect(response.status, target).toBe(403);
      expect(await response.json()).toMatchObject({
        reason: 'cors',
        detail: expect.stringContaining('loopback'),
      });
    }
    expect(hits.length).toBe(before);
    expect(strict.connects).toEqual([]);
  });

  it('refuses private, link-local, multicast and reserved addresses before any connection', async () => {
    const targets = [
      'http://10.1.2.3/a.jpg',
      'http://172.16.0.1/a.jpg',
      'http://192.168.1.1/a.jpg',
      'http://100.64.0.1/a.jpg',
      'http://169.254.169.254/latest/meta-data',
      'http://224.0.0.1/a.jpg',
      'http://0.0.0.0/a.jpg',
      'http://[fd00::1]/a.jpg',
      'http://[fe80::1]/a.jpg',
      'http://[::ffff:10.0.0.1]/a.jpg',
    ];
    for (const target of targets) {
      const response = await open.get(target);
      expect(response.status, target).toBe(403);
    }
    expect(open.connects.filter((c) => !c.includes(fixtureHost))).toEqual([]);
  });

  it('re-checks every redirect, and stops after 5', async () => {
    open.connects.length = 0;
    const response = await open.get(`http://${fixtureHost}/to-private`);
    expect(response.status).toBe(403);
    expect(open.connects).toEqual([`127.0.0.1 http://${fixtureHost}/to-private`]);
    const loop = await open.get(`http://${fixtureHost}/loop`);
    expect(await loop.json()).toMatchObject({ reason: 'http', detail: 'more than 5 redirects' });
  });

  it('refuses cross-site callers, foreign host names, other methods and other schemes before connecting', async () => {
    open.connects.length = 0;
    const target = `http://${fixtureHost}/a.jpg`;
    expect((await open.get(target, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await open.get(target, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect(await rawStatus(open.host, target, { host: `rebound.example:${open.host.split(':')[1]}` })).toBe(
      403,
    );
    expect(await rawStatus(open.host, target, { host: open.host })).toBe(200);
    expect(open.connects).toHaveLength(1);
    open.connects.length = 0;
    expect((await open.get(target, {}, 'POST')).status).toBe(405);
    expect((await open.get('ftp://example.com/a.jpg')).status).toBe(400);
    expect((await open.get('http://user:pw@example.com/a.jpg')).status).toBe(400);
    expect(open.connects).toEqual([]);
  });

  it('names upstream failures: HTTP status, size cap, non-image bodies', async () => {
    expect(await (await open.get(`http://${fixtureHost}/busy.jpg`)).json()).toEqual({
      reason: 'http',
      detail: 'HTTP 503 Service Unavailable',
      retry: true,
    });
    expect(await (await open.get(`http://${fixtureHost}/big.jpg`)).json()).toMatchObject({
      reason: 'too-large',
    });
    expect(await (await open.get(`http://${fixtureHost}/page.html`)).json()).toEqual({
      reason: 'not-image',
      detail: 'an HTML page',
    });
    expect(await (await open.get(`http://${fixtureHost}/missing.jpg`)).json()).toMatchObject({
      detail: 'HTTP 404 Not Found',
    });
  });
});

describe('addressKind', () => {
  it('classifies the ranges the relay refuses', () => {
    expect(addressKind('93.184.216.34')).toBe('public');
    expect(addressKind('2606:4700::1111')).toBe('public');
    expect(addressKind('127.8.9.10')).toBe('loopback');
    expect(addressKind('::1')).toBe('loopback');
    expect(addressKind('::ffff:127.0.0.1')).toBe('loopback');
    expect(addressKind('64:ff9b::a00:1')).toBe('private');
    expect(addressKind('172.31.255.255')).toBe('private');
    expect(addressKind('172.32.0.1')).toBe('public');
    expect(addressKind('fe80::abcd')).toBe('link-local');
    expect(addressKind('ff02::1')).toBe('multicast');
    expect(addressKind('not an ip')).toBe('reserved');
  });
});
