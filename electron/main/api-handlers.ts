// Electron's implementation of the API contract: one handler per request channel, behind a sender check and the request schemas.
import {
  ApiError,
  parseChannel,
  REQUEST_PARSERS,
  serializeError,
  type Channel,
  type Reply,
  type RequestOf,
  type ResponseOf,
  type RunStatus,
} from '../../core/api/contract';
import type { RunStatus as LoggedRunStatus } from '../../core/runlog/run-log';
import { isAppUrl } from './window-options';

// The contract repeats the run log's statuses (it may import nothing); this fails to compile when they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _runStatusesAgree: Same<RunStatus, LoggedRunStatus> = true;

export type Handlers = { [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>> };

export interface HostInfo {
  /** package.json's version. */
  version: string;
  /** process.versions.electron. */
  electron: string;
}

function notImplemented(channel: Channel, command: string): never {
  throw new ApiError('E_NOT_IMPLEMENTED', `'${channel}' is not implemented in this version of the desktop app; use \`${command}\`.`);
}

export function createHandlers(info: HostInfo): Handlers {
  return {
    'app:info': async () => ({ name: 'AlexNet Workbench', version: info.version, host: 'electron', electron: info.electron }),
    'runs:list': async () => notImplemented('runs:list', 'alexnet runs list'),
    'datasets:list': async () => notImplemented('datasets:list', 'alexnet datasets'),
  };
}

/**
 * Answers one request from a page: refuses senders other than the app's page and requests that fail their schema,
 * and returns every failure as data, since an Error thrown through IPC loses its name and code.
 */
export async function dispatch(handlers: Handlers, channel: unknown, request: unknown, senderUrl: string | null, appUrl: string): Promise<Reply<unknown>> {
  try {
    if (senderUrl === null || !isAppUrl(senderUrl, appUrl)) {
      throw new ApiError('E_UNTRUSTED_SENDER', `Refused a request from ${senderUrl === null ? 'a closed frame' : `'${senderUrl}'`}: only the app's page may call the API.`);
    }
    return { ok: true, value: await call(handlers, parseChannel(channel), request) };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

function call<C extends Channel>(handlers: Handlers, channel: C, request: unknown): Promise<ResponseOf<C>> {
  const parse: (channel: C, value: unknown) => RequestOf<C> = REQUEST_PARSERS[channel];
  const handle: (request: RequestOf<C>) => Promise<ResponseOf<C>> = handlers[channel];
  return handle(parse(channel, request));
}
