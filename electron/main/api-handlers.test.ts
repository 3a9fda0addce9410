// Checks Electron's side of the API without the Electron binary: the service answers exactly the contract's channels,
// a page other than the app's is refused, requests are checked by their schemas, and dropped paths are validated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../core/api/schemas';
import { RunLog } from '../../core/runlog/run-log';
import type { Endpoint } from '../../core/compute/protocol';
import { PathPolicy } from '../../core/service/paths';
import { createService } from '../../core/service/service';
import { openWorkspace } from '../../core/workspace';
import { Downloads } from '../../core/service/downloads';
import { desktopRequest, dispatchFromPage, droppedFolders, parseDroppedPaths, saveDownload } from './api-handlers';
import { tally } from '../../e2e/faults/report';

// Each check here is a case of the fault suite's 'safe by default' part (npm run test:faults).
afterEach(() => tally('safe-by-default', { cases: 1 }));

const appUrl = 'file:///opt/workbench/out/renderer/index.html';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-electron-'));
const workspace = openWorkspace(home);
let computeStarted = 0;
const service = createService({
  workspace,
  log: RunLog.open(workspace.database),
  host: 'electron',
  version: '1.2.3',
  electron: '45.4.1',
  backend: 'cpu',
  // These requests never reach the compute side; the factory records whether anything tried.
  compute: (): Endpoint => {
    computeStarted++;
    throw new Error('no compute side in this test');
  },
  paths: new PathPolicy([home]),
  demoDataset: null,
});
afterAll(() => service.close());

describe('Electron API handlers', () => {
  it('are the shared service handlers, one per channel of the contract', () => {
    expect(Object.keys(service.handlers).sort()).toEqual([...CHANNELS].sort());
    expect(CHANNELS.length).toBe(29);
  });

  it("answer the app's page", async () => {
    const reply = await dispatchFromPage(service.handlers, 'app:info', undefined, `${appUrl}#/runs`, appUrl);
    expect(reply).toEqual({
      ok: true,
      value: { name: 'AlexNet Workbench', version: '1.2.3', host: 'electron', electron: '45.4.1', backend: null, roots: [fs.realpathSync(home)], demoDataset: null },
    });
    expect(await dispatchFromPage(service.handlers, 'runs:list', undefined, appUrl, appUrl)).toEqual({ ok: true, value: [] });
  });

  it('refuse another page and a closed frame before looking at the request', async () => {
    const refused = await dispatchFromPage(service.handlers, 'runs:delete', { runId: 'x' }, 'file:///tmp/evil.html', appUrl);
    expect(refused).toEqual({ ok: false, error: { name: 'ApiError', code: 'E_UNTRUSTED_SENDER', message: expect.stringContaining("'file:///tmp/evil.html'") } });
    expect(await dispatchFromPage(service.handlers, 'app:info', undefined, null, appUrl)).toMatchObject({ ok: false, error: { code: 'E_UNTRUSTED_SENDER' } });
    expect(await dispatchFromPage(service.handlers, 'app:info', undefined, 'https://example.com/', appUrl)).toMatchObject({ ok: false, error: { code: 'E_UNTRUSTED_SENDER' } });
    expect(await desktopRequest('file:///tmp/evil.html', appUrl, async () => 'chosen')).toMatchObject({ ok: false, error: { code: 'E_UNTRUSTED_SENDER' } });
    expect(await desktopRequest(appUrl, appUrl, async () => 'chosen')).toEqual({ ok: true, value: 'chosen' });
  });

  it('refuse an unknown channel and requests that fail their schema, naming the field and the value', async () => {
    expect(await dispatchFromPage(service.handlers, 'fs:read', undefined, appUrl, appUrl)).toMatchObject({
      ok: false,
      error: { name: 'ApiError', code: 'E_UNKNOWN_CHANNEL', message: expect.stringMatching(/^No request channel "fs:read"; use one of app:info, /) },
    });
    expect(await dispatchFromPage(service.handlers, 'runs:list', { limit: 5 }, appUrl, appUrl)).toEqual({
      ok: false,
      error: { name: 'ApiError', code: 'E_BAD_REQUEST', message: `'runs:list' takes no request; got {"limit":5}.` },
    });
    const bad = await dispatchFromPage(service.handlers, 'datasets:images', { datasetId: 'd', label: null, split: 'all', offset: -1, limit: 10 }, appUrl, appUrl);
    expect(bad).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST', message: expect.stringContaining("'offset' is -1") } });
    const outside = await dispatchFromPage(service.handlers, 'datasets:import', { folder: os.tmpdir() }, appUrl, appUrl);
    expect(outside).toMatchObject({ ok: false, error: { code: 'E_PATH_REFUSED', message: expect.stringContaining(`'${os.tmpdir()}' is outside the folders`) } });
    expect(computeStarted).toBe(0);
  });

  it("save a download's file where the save dialog says, and nothing when it is cancelled or the ticket is not valid", async () => {
    const downloads = new Downloads();
    const file = path.join(home, 'model.onnx');
    fs.writeFileSync(file, 'the exported model');
    const link = downloads.issue(file, 'ONNX model');
    const host = { download: (ticket: string) => downloads.find(ticket) };
    const target = path.join(home, 'saved', 'copy.onnx');
    fs.mkdirSync(path.dirname(target));
    const offered: string[] = [];
    expect(await saveDownload(host, link.ticket, async (name) => (offered.push(name), target))).toBe(target);
    expect(offered).toEqual(['model.onnx']);
    expect(fs.readFileSync(target, 'utf8')).toBe('the exported model');
    expect(await saveDownload(host, link.ticket, async () => undefined)).toBeNull();
    for (const ticket of ['0'.repeat(48), 42, undefined]) {
      await expect(saveDownload(host, ticket, async () => target)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/export the run again/) });
    }
    // Through the desktop request wrapper, a page other than the app's never reaches the dialog.
    const reply = await desktopRequest('https://evil.example/', appUrl, () => saveDownload(host, link.ticket, async () => target));
    expect(reply.ok).toBe(false);
  });

  it('take only absolute dropped paths, and keep the folders among them', () => {
    const folder = fs.mkdtempSync(path.join(home, 'dropped-'));
    const file = path.join(home, 'photo.jpg');
    fs.writeFileSync(file, 'x');
    expect(droppedFolders(parseDroppedPaths([folder, file]))).toEqual([folder]);
    expect(() => parseDroppedPaths(['relative/folder'])).toThrow(/absolute paths/);
    expect(() => parseDroppedPaths('not a list')).toThrow(/absolute paths/);
    expect(() => parseDroppedPaths(Array.from({ length: 101 }, () => folder))).toThrow(/at most 100/);
    expect(() => droppedFolders([path.join(home, 'gone')])).toThrow(/does not exist/);
  });
});
