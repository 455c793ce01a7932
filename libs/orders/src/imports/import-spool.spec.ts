import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportInterruptedError, ImportTooLargeError } from '../orders.errors.js';
import { UploadSpool } from './import-spool.js';

describe('UploadSpool', () => {
  let root: string;
  let dir: string;
  const limits = () => ({ dir, maxBytes: 64, idleTimeoutMs: 60_000 });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'orderops-spool-spec-'));
    dir = join(root, 'uploads');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('receives the bytes whole, reads them back, and removes the file on dispose', async () => {
    const upload = new PassThrough();
    const spool = new UploadSpool(upload, limits());
    const received = spool.receive();
    upload.end('product,price,quantity\nA,1.00,1\n');
    await received;
    expect(await text(spool.open())).toBe('product,price,quantity\nA,1.00,1\n');
    expect(readdirSync(dir)).toHaveLength(1);
    await spool.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses more than maxBytes (413) and leaves nothing once disposed', async () => {
    const upload = new PassThrough();
    const spool = new UploadSpool(upload, limits());
    const received = spool.receive();
    upload.write('x'.repeat(65));
    await expect(received).rejects.toBeInstanceOf(ImportTooLargeError);
    await spool.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an upload that breaks off is interrupted, before or while it is read', async () => {
    const gone = new PassThrough();
    gone.destroy();
    await expect(new UploadSpool(gone, limits()).receive()).rejects.toBeInstanceOf(ImportInterruptedError);
    const upload = new PassThrough();
    const spool = new UploadSpool(upload, limits());
    const received = spool.receive();
    upload.write('product,');
    upload.destroy();
    await expect(received).rejects.toBeInstanceOf(ImportInterruptedError);
    await spool.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a connection that closes before the body ended is interrupted, even if the request stream says nothing', async () => {
    // An HTTP request stream carries its connection as `socket`.
    const closedFirst = Object.assign(new PassThrough(), { socket: new PassThrough() });
    closedFirst.socket.destroy();
    await expect(new UploadSpool(closedFirst, limits()).receive()).rejects.toBeInstanceOf(
      ImportInterruptedError,
    );
    const upload = Object.assign(new PassThrough(), { socket: new PassThrough() });
    const spool = new UploadSpool(upload, limits());
    const received = spool.receive();
    upload.write('product,');
    await new Promise((resolve) => setImmediate(resolve));
    upload.socket.destroy();
    await expect(received).rejects.toBeInstanceOf(ImportInterruptedError);
    await spool.dispose();
    expect(readdirSync(dir)).toEqual([]);
    // Once the body has ended, the connection closing afterwards (Connection: close) is no interruption.
    const whole = Object.assign(new PassThrough(), { socket: new PassThrough() });
    const complete = new UploadSpool(whole, limits());
    const receivedWhole = complete.receive();
    whole.end('product,price,quantity\n');
    await expect(receivedWhole).resolves.toBeUndefined();
    whole.socket.destroy();
    expect(await text(complete.open())).toBe('product,price,quantity\n');
    await complete.dispose();
  });

  it('a body that ends short of its Content-Length is interrupted, whatever event came first', async () => {
    const short = new PassThrough();
    const spool = new UploadSpool(short, { ...limits(), expectedBytes: 40 });
    const received = spool.receive();
    short.end('product,price,quantity\nA,1.');
    await expect(received).rejects.toBeInstanceOf(ImportInterruptedError);
    await spool.dispose();
    const whole = new PassThrough();
    const complete = new UploadSpool(whole, { ...limits(), expectedBytes: 32 });
    const receivedWhole = complete.receive();
    whole.end('product,price,quantity\nA,1.00,1\n');
    await expect(receivedWhole).resolves.toBeUndefined();
    await complete.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes spools a dead process left over an hour ago, and nothing else', async () => {
    mkdirSync(dir, { recursive: true });
    const stale = join(dir, 'left-by-a-crash.upload');
    const fresh = join(dir, 'in-use-elsewhere.upload');
    const other = join(dir, 'not-a-spool.txt');
    for (const path of [stale, fresh, other]) writeFileSync(path, 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    utimesSync(other, twoHoursAgo, twoHoursAgo);
    const upload = new PassThrough();
    const spool = new UploadSpool(upload, limits());
    const received = spool.receive();
    upload.end('a');
    await received;
    await spool.dispose();
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(fresh, 'utf8')).toBe('x');
    expect(existsSync(other)).toBe(true);
  });
});
