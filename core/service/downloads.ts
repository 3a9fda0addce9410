// Files on the host the page may download: each behind a ticket, a random name that stands for one file for a while.
// The browser host serves a ticket at /download/<ticket> (a plain link, so the file streams to the browser's own
// downloads without passing through the page); the desktop app saves it where the user chooses. A ticket names a
// file the host chose (an export it wrote), never a path the page sent.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DownloadLink } from '../api/contract';

/** How long a ticket stays valid: long enough to click, short enough that a leaked link soon goes dead. */
export const TICKET_LIFETIME_MS = 15 * 60 * 1000;
/** The route of the browser host that serves tickets. */
export const DOWNLOAD_PATH = '/download/';

export interface DownloadFile {
  file: string;
  /** The name the browser saves it under. */
  name: string;
}

export class Downloads {
  private readonly tickets = new Map<string, DownloadFile & { expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A link to `file` for the page; `label` says what it is. */
  issue(file: string, label: string, name = path.basename(file)): DownloadLink {
    this.prune();
    const ticket = randomBytes(24).toString('hex');
    this.tickets.set(ticket, { file, name, expires: this.now() + TICKET_LIFETIME_MS });
    return { ticket, label, name, bytes: fs.statSync(file).size };
  }

  /** The file of a valid ticket, or undefined (unknown, expired, or the file is gone). */
  find(ticket: string): DownloadFile | undefined {
    this.prune();
    const entry = this.tickets.get(ticket);
    if (!entry || !fs.existsSync(entry.file)) return undefined;
    return { file: entry.file, name: entry.name };
  }

  private prune(): void {
    const now = this.now();
    for (const [ticket, entry] of this.tickets) if (entry.expires <= now) this.tickets.delete(ticket);
  }
}
