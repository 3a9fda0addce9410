// The browser host: serves the built page and the workbench API over a WebSocket, for a machine one doesn't sit at.
// Safe by default: it listens on loopback, every socket needs the random token of this start, the page's Origin must
// be this host's own, the Host header must name this host (no DNS rebinding), and messages have a size limit.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY, SOCKET_PATH, TOKEN_REFUSED_CLOSE_CODE, type HostEvent, type SocketMessage } from '../core/api/contract';
import { dispatch } from '../core/service/dispatch';
import { DOWNLOAD_PATH } from '../core/service/downloads';
import type { Service } from '../core/service/service';

/** The largest message a page may send: a look-up of a 32 MiB image, base64-encoded, with room for the envelope. */
export const MAX_MESSAGE_BYTES = 48 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface BrowserHostOptions {
  service: Service;
  /** The built page (out/renderer). */
  pageDir: string;
  /** Address to listen on; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
  /** The token sockets must present; default 32 random bytes in hex. */
  token?: string;
}

export interface BrowserHost {
  /** The page's URL with the token in its fragment (the fragment never reaches a server log). */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Whether a Host header names this host: on loopback only its own names and port (a page of another site that
 * rebinds a name to 127.0.0.1 sends its own name), on a given address that address, on every address any name.
 */
function hostCheck(host: string, port: number): (header: string | undefined) => boolean {
  if (host === '0.0.0.0' || host === '::') return (header) => header !== undefined && header.endsWith(`:${port}`);
  const names = LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
  const allowed = new Set(names.map((name) => `${name}:${port}`));
  return (header) => header !== undefined && allowed.has(header);
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

/** A file behind a download ticket, as an attachment under its own name (the ticket is the only key it needs). */
function sendDownload(service: Service, ticket: string, request: http.IncomingMessage, response: http.ServerResponse): void {
  const found = /^[0-9a-f]{48}$/.test(ticket) ? service.download(ticket) : undefined;
  if (!found) return refuse(response, 404, 'This download link is not valid (it lasts 15 minutes, and the host may have restarted); export the run again for a new one.');
  const size = fs.statSync(found.file).size;
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    // RFC 6266: a plain ASCII name, and the exact one encoded.
    'content-disposition': `attachment; filename="${found.name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(found.name)}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  if (request.method === 'HEAD') return void response.end();
  const stream = fs.createReadStream(found.file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { service } = options;
  const pageDir = path.resolve(options.pageDir);
  const index = path.join(pageDir, 'index.html');
  if (!fs.existsSync(index)) throw new Error(`The page is not built: '${index}' is missing. Run 'npm run build:renderer' first.`);
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  let namesThisHost: (header: string | undefined) => boolean = () => false;

  const server = http.createServer((request, response) => {
    if (!namesThisHost(request.headers.host)) return refuse(response, 421, `This host does not answer to '${request.headers.host ?? ''}'.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, `Method ${request.method} is not allowed.`);
    const url = new URL(request.url ?? '/', 'http://host');
    if (url.pathname.startsWith(DOWNLOAD_PATH)) return sendDownload(service, url.pathname.slice(DOWNLOAD_PATH.length), request, response);
    const relative = decodeURIComponent(url.pathname) === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(pageDir, relative);
    if (path.relative(pageDir, file).startsWith('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) return refuse(response, 404, 'Not found.');
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': file === index ? 'no-store' : 'max-age=3600',
    });
    if (request.method === 'HEAD') return void response.end();
    fs.createReadStream(file).pipe(response);
  });

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://host');
    const origin = request.headers.origin;
    const problem =
      url.pathname !== SOCKET_PATH
        ? 'no such socket'
        : !namesThisHost(request.headers.host)
          ? `wrong Host '${request.headers.host ?? ''}'`
          : origin !== `http://${request.headers.host}`
            ? `foreign Origin '${origin ?? ''}'`
            : null;
    if (problem) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nRefused: ${problem}.\r\n`);
      return;
    }
    // The host's own page with a wrong token (one kept from an earlier start) is told so with a close code it can
    // read, and is given nothing else: a refused handshake would look like a host that is down.
    const trusted = sameToken(url.searchParams.get('token'), token);
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (trusted) sockets.emit('connection', ws, request);
      else ws.close(TOKEN_REFUSED_CLOSE_CODE, 'This access token is not valid for this host (it was restarted?).');
    });
  });

  const send = (ws: WebSocket, message: SocketMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const broadcast = (event: HostEvent) => {
    for (const ws of sockets.clients) send(ws, { event });
  };
  const unsubscribe = service.subscribe(broadcast);

  sockets.on('connection', (ws: WebSocket) => {
    // A protocol violation (an oversized or malformed frame) closes the socket with its code; nothing else to do.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      let message: { id?: unknown; channel?: unknown; request?: unknown };
      try {
        if (isBinary) throw new Error('binary');
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        ws.close(1003, 'Messages are JSON text: {"id", "channel", "request"}.');
        return;
      }
      if (typeof message !== 'object' || message === null || typeof message.id !== 'number') {
        ws.close(1003, 'A message needs a numeric id.');
        return;
      }
      const id = message.id;
      void dispatch(service.handlers, message.channel, message.request).then((reply) => send(ws, { id, reply }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  namesThisHost = hostCheck(host, port);
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/#token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets.clients) ws.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
