// A real image host on 127.0.0.1 that misbehaves the ways real hosts do: failing statuses, bodies
// cut mid-transfer, a broken Content-Encoding, endless bodies, huge declared sizes, decompression
// bombs, formats no browser decodes, valid files with trailers, EXIF-rotated photos.
import type { ServerResponse } from 'node:http';
import { serveOnLoopback, type FixtureHost } from './fixture-server';

type Route = (res: ServerResponse) => void;

export interface HostileHost extends FixtureHost {
  /** Bytes written per path (an endless body stops when the client hangs up). */
  written: Map<string, number>;
}

export function fileRoute(body: Buffer, type: string, headers: Record<string, string> = {}): Route {
  return (res) => {
    res.writeHead(200, { 'Content-Type': type, 'Access-Control-Allow-Origin': '*', ...headers });
    res.end(body);
  };
}

export const statusRoute =
  (status: number): Route =>
  (res) => {
    res.writeHead(status, { 'Access-Control-Allow-Origin': '*' });
    res.end('try later');
  };

export async function startHostileHost(routes: Map<string, Route>): Promise<HostileHost> {
  const written = new Map<string, number>();
  const host = await serveOnLoopback((path, res) => {
    const count = (n: number) => written.set(path, (written.get(path) ?? 0) + n);
    const route = routes.get(path);
    if (route) return route(Object.assign(res, { count }));
    res.writeHead(404, { 'Access-Control-Allow-Origin': '*' });
    res.end('not found');
  });
  return { ...host, written };
}

type Counting = ServerResponse & { count(n: number): void };

/** Sends the first bytes of a declared body, then drops the connection. */
export function cutRoute(body: Buffer): Route {
  return (res) => {
    res.writeHead(200, {
      'Content-Type': 'image/jpeg',
      'Content-Length': String(body.length),
      'Access-Control-Allow-Origin': '*',
    });
    res.write(body.subarray(0, Math.floor(body.length / 3)));
    setTimeout(() => res.socket?.destroy(), 50);
  };
}

/** A body declared gzip-encoded that is not gzip. */
export function badEncodingRoute(body: Buffer): Route {
  return fileRoute(body, 'image/jpeg', { 'Content-Encoding': 'gzip' });
}

/** A JPEG marker followed by zeros for ever (1 GB at most), no Content-Length: streamed until refused. */
export function endlessRoute(): Route {
  return (res) => {
    const counting = res as Counting;
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Access-Control-Allow-Origin': '*' });
    const chunk = Buffer.alloc(256 * 1024);
    chunk.set([0xff, 0xd8, 0xff]);
    let sent = 0;
    const pump = () => {
      while (sent < 1e9 && !res.destroyed) {
        sent += chunk.length;
        counting.count(chunk.length);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (sent = 1e9));
    pump();
  };
}

/** Declares 1 GB and sends a JPEG header, then waits: the cap must refuse it from the header. */
export function declaredHugeRoute(): Route {
  return (res) => {
    res.writeHead(200, {
      'Content-Type': 'image/jpeg',
      'Content-Length': String(1e9),
      'Access-Control-Allow-Origin': '*',
    });
    res.write(Buffer.from([0xff, 0xd8, 0xff]));
  };
}

/** An APP1 Exif segment setting Orientation, put right after a JPEG's SOI marker. */
export function withOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([
    0x49,
    0x49,
    42,
    0,
    8,
    0,
    0,
    0,
    1,
    0,
    0x12,
    0x01,
    3,
    0,
    1,
    0,
    0,
    0,
    orientation,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.concat([
    Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]),
    body,
  ]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** COM segments after SOI until the file has the given size: a small picture in a big file. */
export function padded(jpeg: Buffer, bytes: number): Buffer {
  const parts = [jpeg.subarray(0, 2)];
  for (let left = bytes - jpeg.length; left > 4; left -= 65_537) {
    const size = Math.min(left - 4, 65_533);
    parts.push(Buffer.from([0xff, 0xfe, (size + 2) >> 8, (size + 2) & 255]), Buffer.alloc(size, 0x20));
  }
  parts.push(jpeg.subarray(2));
  return Buffer.concat(parts);
}

/** The smallest decodable GIF (1×1), a classic. */
export const ONE_PIXEL_GIF = Buffer.from(
  'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==',
  'base64',
);
