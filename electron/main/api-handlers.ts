// Electron's side of the API: every request from a page passes the sender check and the channel's schema before the
// shared service handlers see it; the desktop-only channels (folder dialog, dropped folders) are checked the same way.
import fs from 'node:fs';
import path from 'node:path';
import type { Service } from '../../core/service/service';
import { ApiError, serializeError, type Reply } from '../../core/api/contract';
import { dispatch, type Handlers } from '../../core/service/dispatch';
import { isAppUrl } from './window-options';

/** Most folders one drop may allow. */
const MAX_DROPPED = 100;

function checkSender(senderUrl: string | null, appUrl: string): void {
  if (senderUrl === null || !isAppUrl(senderUrl, appUrl)) {
    throw new ApiError('E_UNTRUSTED_SENDER', `Refused a request from ${senderUrl === null ? 'a closed frame' : `'${senderUrl}'`}: only the app's page may call the API.`);
  }
}

/** Answers one API request from a page; every failure comes back as data (an Error through IPC loses its name and code). */
export async function dispatchFromPage(handlers: Handlers, channel: unknown, request: unknown, senderUrl: string | null, appUrl: string): Promise<Reply<unknown>> {
  try {
    checkSender(senderUrl, appUrl);
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
  return dispatch(handlers, channel, request);
}

/** Runs a desktop-only request after the sender check, returning failures as data. */
export async function desktopRequest<T>(senderUrl: string | null, appUrl: string, body: () => Promise<T>): Promise<Reply<T>> {
  try {
    checkSender(senderUrl, appUrl);
    return { ok: true, value: await body() };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/**
 * Saves the file behind a download ticket where the user chooses (`choose` shows the save dialog, with the file's
 * own name to start from); the path written, or null when the dialog was cancelled.
 */
export async function saveDownload(service: Pick<Service, 'download'>, ticket: unknown, choose: (name: string) => Promise<string | undefined>): Promise<string | null> {
  const found = typeof ticket === 'string' ? service.download(ticket) : undefined;
  if (!found) throw new ApiError('E_NOT_FOUND', 'This download is not valid any more (it lasts 15 minutes, and the app may have restarted); export the run again.');
  const target = await choose(found.name);
  if (target === undefined) return null;
  await fs.promises.copyFile(found.file, target);
  return target;
}

/** The dropped paths a page reports: absolute path strings, at most MAX_DROPPED. */
export function parseDroppedPaths(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_DROPPED || !value.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 4096 && path.isAbsolute(p))) {
    throw new ApiError('E_BAD_REQUEST', `Dropped paths must be a list of at most ${MAX_DROPPED} absolute paths; got ${JSON.stringify(value)?.slice(0, 120)}.`);
  }
  return value as string[];
}

/** The folders among dropped paths (a dropped file is not a dataset); each must exist. */
export function droppedFolders(paths: readonly string[]): string[] {
  const folders: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new ApiError('E_NOT_FOUND', `Dropped item '${p}' does not exist any more.`);
    }
    if (stat.isDirectory()) folders.push(p);
  }
  return folders;
}
