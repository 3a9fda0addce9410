// Checks Electron's API handlers: one per contract channel, the sender check, the request schemas, errors as data.
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../core/api/contract';
import { createHandlers, dispatch } from './api-handlers';

const appUrl = 'file:///opt/workbench/out/renderer/index.html';
const handlers = createHandlers({ version: '1.2.3', electron: '45.4.1' });

describe('Electron API handlers', () => {
  it('handle exactly the channels of the contract', () => {
    expect(Object.keys(handlers).sort()).toEqual(['app:info', 'datasets:list', 'runs:list']);
    expect([...CHANNELS].sort()).toEqual(['app:info', 'datasets:list', 'runs:list']);
  });

  it("answer 'app:info' from the app's page", async () => {
    expect(await dispatch(handlers, 'app:info', undefined, appUrl, appUrl)).toEqual({
      ok: true,
      value: { name: 'AlexNet Workbench', version: '1.2.3', host: 'electron', electron: '45.4.1' },
    });
  });

  it('refuse another page, a closed frame, an unknown channel and a malformed request, as data', async () => {
    const refused = await dispatch(handlers, 'app:info', undefined, 'file:///tmp/evil.html', appUrl);
    expect(refused).toEqual({ ok: false, error: { name: 'ApiError', code: 'E_UNTRUSTED_SENDER', message: expect.stringContaining("'file:///tmp/evil.html'") } });
    expect(await dispatch(handlers, 'app:info', undefined, null, appUrl)).toMatchObject({ ok: false, error: { code: 'E_UNTRUSTED_SENDER' } });
    expect(await dispatch(handlers, 'fs:read', undefined, appUrl, appUrl)).toEqual({
      ok: false,
      error: { name: 'ApiError', code: 'E_UNKNOWN_CHANNEL', message: 'No request channel "fs:read"; use one of app:info, runs:list, datasets:list.' },
    });
    expect(await dispatch(handlers, 'runs:list', { limit: 5 }, appUrl, appUrl)).toEqual({
      ok: false,
      error: { name: 'ApiError', code: 'E_BAD_REQUEST', message: `'runs:list' takes no request; got {"limit":5}.` },
    });
  });

  it('report the channels this version does not serve yet, naming the CLI command to use', async () => {
    expect(await dispatch(handlers, 'runs:list', undefined, appUrl, appUrl)).toMatchObject({
      ok: false,
      error: { name: 'ApiError', code: 'E_NOT_IMPLEMENTED', message: expect.stringContaining('alexnet runs list') },
    });
    expect(await dispatch(handlers, 'datasets:list', undefined, appUrl, appUrl)).toMatchObject({ ok: false, error: { code: 'E_NOT_IMPLEMENTED' } });
  });
});
