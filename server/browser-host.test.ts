// The browser host's defences, tried for real over loopback: the page is served with its security policy, files
// outside it are not, the socket needs this start's token, the page's own Origin and this host's name, messages
// have a size limit, and the API answers (and broadcasts events) once all of that holds.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONTENT_SECURITY_POLICY, TOKEN_REFUSED_CLOSE_CODE, type DownloadLink, type SocketMessage } from '../core/api/contract';
import { Downloads } from '../core/service/downloads';
import type { Service } from '../core/service/service';
import { serviceWithoutCompute, smallDataset } from '../e2e/fixtures';
import { MAX_MESSAGE_BYTES, startBrowserHost, type BrowserHost } from './browser-host';
import { tally } from '../e2e/faults/report';

// Each check here is a case of the fault suite's 'safe by default' part (npm run test:faults).
afterEach(() => tally('safe-by-default', { cases: 1 }));

let service: Service;
let host: BrowserHost;
let pageDir: string;
let data: string;
const downloads = new Downloads();
let exported: string;
let link: DownloadLink;

/** A request (GET unless told) with the given headers; resolves with the status, headers and body. */
function get(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: host.port, path: pathname, method, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Opens a socket; resolves with it once open, or with the HTTP status of a refused upgrade. */
function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${query}`, { headers: { origin: `http://127.0.0.1:${host.port}`, ...headers } });
  return new Promise((resolve) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

function call(ws: WebSocket, id: number, channel: string, request?: unknown): Promise<SocketMessage> {
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const message = JSON.parse(String(raw)) as SocketMessage;
      if ('id' in message && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, request }));
  });
}

beforeAll(async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-host-'));
  pageDir = path.join(home, 'page');
  fs.mkdirSync(path.join(pageDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(pageDir, 'index.html'), '<!doctype html><title>workbench</title>');
  fs.writeFileSync(path.join(pageDir, 'assets', 'app.js'), 'console.log(1);');
  fs.writeFileSync(path.join(home, 'secret.txt'), 'not for the page');
  data = smallDataset(2, 2, 1);
  service = serviceWithoutCompute([data], { home: path.join(home, 'workspace') });
  // The service hands out tickets for the exports it writes; here a real ticket store stands behind a file of its own.
  exported = path.join(home, 'workspace', 'model "ünïcode".onnx');
  fs.writeFileSync(exported, Buffer.from(Array.from({ length: 70_000 }, (_v, i) => i % 251)));
  link = downloads.issue(exported, 'ONNX model');
  host = await startBrowserHost({ service: { ...service, download: (ticket) => downloads.find(ticket) }, pageDir, port: 0 });
});

afterAll(async () => {
  await host?.close();
  await service?.close();
});

describe('the browser host', () => {
  it('listens on loopback only, with a long random token in the URL fragment', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/#token=[0-9a-f]{64}$`));
  });

  it('serves the page with the security policy, and nothing outside it', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await get('/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/nothing-here.js']) expect((await get(escape)).status).toBe(404);
  });

  it('serves a download ticket as an attachment under its name, byte for byte, and nothing for a wrong ticket', async () => {
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: host.port, path: `/download/${link.ticket}`, headers: { host: `127.0.0.1:${host.port}` } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      });
      request.on('error', reject);
    });
    expect(answer.status).toBe(200);
    expect(answer.body.equals(fs.readFileSync(exported))).toBe(true);
    expect(link.bytes).toBe(70_000);
    expect(answer.headers['content-length']).toBe('70000');
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="model __n_code_.onnx"; filename*=UTF-8''${encodeURIComponent('model "ünïcode".onnx')}`);
    expect(answer.headers['cache-control']).toBe('no-store');
    const wrong = link.ticket.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    for (const ticket of [wrong, 'short', `${link.ticket}/../x`, '']) {
      const refused = await get(`/download/${ticket}`);
      expect(refused.status).toBe(404);
      expect(refused.body).toMatch(/This download link is not valid \(it lasts 15 minutes/);
    }
    // The host's name is checked for downloads too.
    expect((await get(`/download/${link.ticket}`, { host: `evil.example:${host.port}` })).status).toBe(421);
  });

  it('refuses another Host name (DNS rebinding) and other methods', async () => {
    expect((await get('/', { host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await get('/', { host: `127.0.0.1:${host.port + 1}` })).status).toBe(421);
    expect((await get('/', {}, 'POST')).status).toBe(405);
  });

  it('refuses a socket from another origin or to another host name before the handshake', async () => {
    expect(await connect(`?token=${host.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`?token=${host.token}`, { origin: `http://localhost:${host.port + 1}` })).toBe(403);
    expect(await connect(`?token=${host.token}`, { host: `evil.example:${host.port}`, origin: `http://evil.example:${host.port}` })).toBe(403);
  });

  it('closes a socket without the token or with a wrong one at once, with the code that tells the page', async () => {
    const closeCode = async (query: string) => {
      const ws = (await connect(query)) as WebSocket;
      const answers: string[] = [];
      ws.on('message', (raw) => answers.push(String(raw)));
      ws.send(JSON.stringify({ id: 1, channel: 'app:info' }));
      const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
      expect(answers).toEqual([]);
      return code;
    };
    for (const query of ['', `?token=${'0'.repeat(64)}`, `?token=${host.token.slice(0, 10)}`, `?token=${host.token}x`]) expect(await closeCode(query)).toBe(TOKEN_REFUSED_CLOSE_CODE);
  });

  it('answers the API with the token and its own origin, errors as data, and broadcasts events', async () => {
    const ws = (await connect(`?token=${host.token}`)) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    const events: SocketMessage[] = [];
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as SocketMessage;
      if ('event' in message) events.push(message);
    });
    expect(await call(ws, 1, 'app:info')).toMatchObject({ id: 1, reply: { ok: true, value: { host: 'browser', version: 'test' } } });
    expect(await call(ws, 2, 'datasets:import', { folder: '/etc' })).toMatchObject({ id: 2, reply: { ok: false, error: { code: 'E_PATH_REFUSED' } } });
    expect(await call(ws, 3, 'datasets:import', { folder: `${data}/../..` })).toMatchObject({ id: 3, reply: { ok: false, error: { code: 'E_PATH_REFUSED' } } });
    expect(await call(ws, 4, 'datasets:import', { folder: data })).toMatchObject({ id: 4, reply: { ok: true } });
    await expect.poll(() => events.some((m) => 'event' in m && m.event.type === 'import:finished'), { timeout: 30_000 }).toBe(true);
    ws.close();
  });

  it('closes a socket that sends something other than a JSON request, or more than the size limit', async () => {
    const closed = async (send: (ws: WebSocket) => void) => {
      const ws = (await connect(`?token=${host.token}`)) as WebSocket;
      return new Promise<number>((resolve) => {
        ws.once('close', (code) => resolve(code));
        send(ws);
      });
    };
    expect(await closed((ws) => ws.send('not json'))).toBe(1003);
    expect(await closed((ws) => ws.send(JSON.stringify({ channel: 'app:info' })))).toBe(1003);
    expect(await closed((ws) => ws.send(Buffer.alloc(16)))).toBe(1003);
    expect(await closed((ws) => ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1)))).toBe(1009);
  });
});
