// Bad requests, generated: for every API channel, bad values derived from its schema (wrong types, out of range,
// too long, unknown fields, missing fields) sent through dispatch on a real service and over the browser host's real
// socket; path arguments that lead out of the allowed folders; and bad values for every CLI option and argument.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import type { Channel, Reply, SocketMessage } from '../../core/api/contract';
import { CHANNELS, parseRequest, REQUEST_SCHEMAS } from '../../core/api/schemas';
import { RunLog } from '../../core/runlog/run-log';
import { dispatch } from '../../core/service/dispatch';
import type { Service } from '../../core/service/service';
import { openWorkspace } from '../../core/workspace';
import { startBrowserHost, type BrowserHost } from '../../server/browser-host';
import { PAGE_DIR } from '../../cli/commands/serve';
import { registerCommands } from '../../cli/main';
import { cliInProcess, serviceWithoutCompute, smallDataset, tempHome } from '../fixtures';
import { tally } from './report';

let cases = 0;
afterAll(() => tally('bad-requests', { cases }));

// ---- Bad requests derived from the schemas ----

type Key = string | number;
interface BadRequest {
  channel: Channel;
  request: unknown;
  /** What was done, for the test's messages. */
  problem: string;
  /**
   * What the error must say: the field's dotted path (null for the whole request) and the value quoted, that the field
   * is missing, that the request has an unknown field, or that the channel takes no request.
   */
  expect: { kind: 'value'; field: string | null; value: unknown } | { kind: 'missing'; field: string } | { kind: 'unknown'; field: string | null; key: string } | { kind: 'no-request'; value: unknown };
}

const REMOVE = Symbol('remove');

/** A copy of `base` with the value at `at` replaced (or removed). */
function setAt(base: unknown, at: readonly Key[], value: unknown): unknown {
  if (at.length === 0) return value;
  const [head, ...rest] = at;
  const copy = (Array.isArray(base) ? [...(base as unknown[])] : { ...(base as Record<string, unknown>) }) as Record<Key, unknown>;
  if (rest.length === 0 && value === REMOVE) delete copy[head!];
  else copy[head!] = setAt(copy[head!], rest, value);
  return copy;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; nullable: boolean } {
  let inner = schema;
  let optional = false;
  let nullable = false;
  for (;;) {
    if (inner instanceof z.ZodOptional) optional = true;
    else if (inner instanceof z.ZodNullable) nullable = true;
    else return { inner, optional, nullable };
    inner = inner.unwrap() as z.ZodType;
  }
}

/** A number schema's bounds, read from its checks: { value, inclusive } or undefined. */
function bounds(schema: z.ZodNumber): { low?: { value: number; inclusive: boolean }; high?: { value: number; inclusive: boolean } } {
  const out: ReturnType<typeof bounds> = {};
  for (const check of schema.def.checks ?? []) {
    const def = check._zod.def as { check: string; value?: number; inclusive?: boolean };
    if (def.check === 'greater_than') out.low = { value: def.value!, inclusive: def.inclusive! };
    if (def.check === 'less_than') out.high = { value: def.value!, inclusive: def.inclusive! };
  }
  return out;
}

/** An array schema's maximum count, if it has one. */
const maxItems = (schema: z.ZodArray) => (schema.def.checks ?? []).map((c) => c._zod.def as { check: string; maximum?: number }).find((d) => d.check === 'max_length')?.maximum;

const hasRegex = (schema: z.ZodString) => (schema.def.checks ?? []).some((c) => (c._zod.def as { format?: string }).format === 'regex');

/** A value the schema accepts, built from its declared shape alone. */
function validOf(schema: z.ZodType): unknown {
  const { inner } = unwrap(schema);
  if (inner instanceof z.ZodUndefined) return undefined;
  if (inner instanceof z.ZodString) return hasRegex(inner) ? 'a1' : '/a';
  if (inner instanceof z.ZodNumber) {
    const { low, high } = bounds(inner);
    if (inner.isInt) return low ? low.value + (low.inclusive ? 0 : 1) : 0;
    return low && high ? (low.value + high.value) / 2 : 0.5;
  }
  if (inner instanceof z.ZodBoolean) return false;
  if (inner instanceof z.ZodEnum) return inner.options[0];
  if (inner instanceof z.ZodLiteral) return [...inner.values][0];
  if (inner instanceof z.ZodArray) return [validOf(inner.element as z.ZodType)];
  if (inner instanceof z.ZodObject) return Object.fromEntries(Object.entries(inner.shape).map(([k, s]) => [k, validOf(s as z.ZodType)]));
  if (inner instanceof z.ZodDiscriminatedUnion) return validOf(inner.options[0] as z.ZodType);
  throw new Error(`No valid value for a ${inner.def.type} schema; teach validOf about it.`);
}

/** One value of each JSON type, for the wrong-type cases. */
const SAMPLES: [string, unknown][] = [['string', 'x'], ['number', 7], ['boolean', true], ['array', []], ['object', {}], ['null', null]];

/** Whether a value of this JSON type could be right for the schema (then it is not a wrong-type case). */
function typeFits(inner: z.ZodType, nullable: boolean, type: string): boolean {
  switch (type) {
    case 'string': return inner instanceof z.ZodString || inner instanceof z.ZodEnum || (inner instanceof z.ZodLiteral && typeof [...inner.values][0] === 'string');
    case 'number': return inner instanceof z.ZodNumber;
    case 'boolean': return inner instanceof z.ZodBoolean;
    case 'array': return inner instanceof z.ZodArray;
    case 'object': return inner instanceof z.ZodObject || inner instanceof z.ZodDiscriminatedUnion;
    default: return nullable;
  }
}

/** Values that these strings must refuse beyond their type and length: no NUL in a path, no blank or multi-line names. */
const NAMES = ['   ', 'two\nlines', 'tab\there'];
const EXTRA_STRINGS: Record<string, string[]> = {
  'datasets:import folder': ['/tmp/a\u0000b'],
  'datasets:import name': NAMES,
  'datasets:rename name': NAMES,
  'train:start name': NAMES,
};

/** Every bad variant of the field at `at` (whose schema is `schema`) inside the valid request `base`. */
function* badFields(channel: Channel, schema: z.ZodType, at: Key[], base: unknown): Generator<BadRequest> {
  const { inner, optional, nullable } = unwrap(schema);
  const field = at.length > 0 ? at.join('.') : null;
  const value = (problem: string, v: unknown): BadRequest => ({ channel, request: setAt(base, at, v), problem: `${field ?? 'request'}: ${problem}`, expect: { kind: 'value', field, value: v } });
  if (field !== null && !optional) yield { channel, request: setAt(base, at, REMOVE), problem: `${field}: missing`, expect: { kind: 'missing', field } };
  for (const [type, sample] of SAMPLES) if (!typeFits(inner, nullable, type)) yield value(`wrong type (${type})`, sample);
  if (inner instanceof z.ZodNumber) {
    const { low, high } = bounds(inner);
    if (low) yield value('below the minimum', low.inclusive ? low.value - 1 : low.value);
    if (high) yield value('above the maximum', high.inclusive ? high.value + 1 : high.value);
    if (inner.isInt) yield value('not a whole number', (validOf(inner) as number) + 0.5);
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) yield value(`${v}`, v);
    yield value('a number in a string', String(validOf(inner)));
  }
  if (inner instanceof z.ZodString) {
    if (inner.maxLength !== null) yield value('too long', 'a'.repeat(inner.maxLength + 1));
    if ((inner.minLength ?? 0) >= 1) yield value('empty', '');
    if (hasRegex(inner)) for (const v of ['..', '.hidden', '-dash', 'a b', 'a/b', '../../etc', 'naïve']) yield value('not an id', v);
    for (const v of EXTRA_STRINGS[`${channel} ${field}`] ?? []) yield value('refused characters', v);
  }
  if (inner instanceof z.ZodEnum) {
    const first = String(inner.options[0]);
    for (const v of ['not-a-choice', first.toUpperCase(), ` ${first}`, '']) yield value('unknown choice', v);
  }
  if (inner instanceof z.ZodLiteral) yield value('unknown kind', 'not-a-kind');
  if (inner instanceof z.ZodBoolean) for (const v of ['true', 1, 0]) yield value('not a boolean', v);
  if (inner instanceof z.ZodArray) {
    const element = inner.element as z.ZodType;
    const max = maxItems(inner);
    if (max !== undefined) yield value('too many items', Array.from({ length: max + 1 }, () => validOf(element)));
    yield* badFields(channel, element, [...at, 0], setAt(base, at, [validOf(element)]));
  }
  if (inner instanceof z.ZodObject) {
    const valid = validOf(inner) as Record<string, unknown>;
    const inBase = setAt(base, at, valid);
    for (const key of ['bogus', 'constructor', '__proto__']) {
      // JSON.parse makes '__proto__' an own property, as a request from the socket would have it.
      const withKey = { ...valid, ...(JSON.parse(`{"${key}": 1}`) as object) };
      yield { channel, request: setAt(base, at, withKey), problem: `${field ?? 'request'}: unknown field '${key}'`, expect: { kind: 'unknown', field, key } };
    }
    for (const [key, child] of Object.entries(inner.shape)) yield* badFields(channel, child as z.ZodType, [...at, key], inBase);
  }
  if (inner instanceof z.ZodDiscriminatedUnion) {
    for (const option of inner.options as z.ZodObject[]) {
      const inBase = setAt(base, at, validOf(option));
      for (const [key, child] of Object.entries(option.shape)) yield* badFields(channel, child as z.ZodType, [...at, key], inBase);
    }
  }
}

/** Every generated bad request of every channel. */
function generateBadRequests(): BadRequest[] {
  const out: BadRequest[] = [];
  for (const channel of CHANNELS) {
    const schema = REQUEST_SCHEMAS[channel] as z.ZodType;
    if (schema instanceof z.ZodUndefined) {
      for (const value of [{}, { limit: 5 }, 0, '', false, null, []]) out.push({ channel, request: value, problem: 'a request where none is taken', expect: { kind: 'no-request', value } });
      continue;
    }
    const base = validOf(schema);
    out.push({ channel, request: undefined, problem: 'no request', expect: { kind: 'value', field: null, value: undefined } });
    out.push(...badFields(channel, schema, [], base));
  }
  return out;
}

/** How a message must show a value: JSON (NaN and Infinity by name), long ones by their start. */
function shown(value: unknown): { exact?: string; start?: string } {
  if (typeof value === 'number' && !Number.isFinite(value)) return { exact: String(value) };
  const json = JSON.stringify(value);
  return json.length <= 80 ? { exact: json } : { start: json.slice(0, 40) };
}

/** Checks that a reply refuses the request as E_BAD_REQUEST and that its message says what the case needs. */
function expectRefusal(c: BadRequest, reply: Reply<unknown>): void {
  const label = `${c.channel} ${c.problem}`;
  expect(reply.ok, label).toBe(false);
  if (reply.ok) return;
  expect(reply.error.code, `${label}: ${reply.error.message}`).toBe('E_BAD_REQUEST');
  const message = reply.error.message;
  expect(message, label).not.toMatch(/[\n\r]/);
  const where = (field: string | null) => (field === null ? 'the request' : `'${field}'`);
  switch (c.expect.kind) {
    case 'no-request': {
      expect(message, label).toBe(`'${c.channel}' takes no request; got ${shown(c.expect.value).exact}.`);
      break;
    }
    case 'missing':
      expect(message, label).toMatch(new RegExp(`${escape(where(c.expect.field))} is missing: expected \\S`));
      break;
    case 'unknown':
      expect(message, label).toContain(`${where(c.expect.field)} has unknown field '${c.expect.key}'; expected only '`);
      break;
    case 'value': {
      if (c.expect.value === undefined) {
        expect(message, label).toContain(`${where(c.expect.field)} is missing: expected object`);
        break;
      }
      const { exact, start } = shown(c.expect.value);
      const quoted = exact !== undefined ? `${where(c.expect.field)} is ${exact}: expected ` : `${where(c.expect.field)} is ${start}`;
      expect(message, label).toContain(quoted);
      expect(message, label).toMatch(/: expected \S/);
      break;
    }
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let service: Service;
let data: string;
let outside: string;

beforeAll(() => {
  data = smallDataset(2, 2, 1);
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-outside-'));
  service = serviceWithoutCompute([data]);
});

afterAll(async () => {
  await service?.close();
});

describe('generated bad requests for every API channel', () => {
  const bad = generateBadRequests();

  it('start from a valid request of every channel, and cover every field of every schema', () => {
    for (const channel of CHANNELS) {
      const schema = REQUEST_SCHEMAS[channel] as z.ZodType;
      expect(() => parseRequest(channel, validOf(schema)), channel).not.toThrow();
      expect(bad.filter((c) => c.channel === channel).length, channel).toBeGreaterThanOrEqual(schema instanceof z.ZodUndefined ? 7 : 12);
    }
    const fields = new Set(bad.flatMap((c) => ('field' in c.expect && c.expect.field !== null ? [`${c.channel} ${c.expect.field}`] : [])));
    for (const probe of ['train:start ablations.noLrn', 'train:start epochs', 'lookup:query image.base64', 'lookup:query image.index', 'datasets:thumbnails images.0.index', 'datasets:images label']) {
      expect(fields.has(probe), probe).toBe(true);
    }
  });

  it('bound every field: strings by length, numbers by range, lists by count, objects by their fields', () => {
    const loose: string[] = [];
    const walk = (schema: z.ZodType, at: string) => {
      const { inner } = unwrap(schema);
      if (inner instanceof z.ZodString && inner.maxLength === null) loose.push(`${at}: a string without a maximum length`);
      if (inner instanceof z.ZodNumber) {
        const { low, high } = bounds(inner);
        if (!low || !high) loose.push(`${at}: a number without ${low ? 'a maximum' : 'a minimum'}`);
      }
      if (inner instanceof z.ZodArray) {
        if (maxItems(inner) === undefined) loose.push(`${at}: a list without a maximum count`);
        walk(inner.element as z.ZodType, `${at}.0`);
      }
      if (inner instanceof z.ZodObject) {
        if (!(inner.def.catchall instanceof z.ZodNever)) loose.push(`${at}: an object that takes unknown fields`);
        for (const [key, child] of Object.entries(inner.shape)) walk(child as z.ZodType, at ? `${at}.${key}` : key);
      }
      if (inner instanceof z.ZodDiscriminatedUnion) for (const option of inner.options) walk(option as z.ZodType, at);
    };
    for (const channel of CHANNELS) walk(REQUEST_SCHEMAS[channel] as z.ZodType, '');
    expect(loose).toEqual([]);
  });

  it('are each refused with E_BAD_REQUEST naming the field, quoting the value and saying what was expected', async () => {
    for (const c of bad) expectRefusal(c, await dispatch(service.handlers, c.channel, c.request));
    cases += bad.length;
    console.log(`bad-requests: ${bad.length} generated bad requests over ${CHANNELS.length} channels, each refused`);
  });

  it('refuse unknown channels by name', async () => {
    for (const channel of ['nope', 'APP:INFO', '__proto__', 'constructor', 'toString', 7, null, undefined, ['app:info']]) {
      const reply = await dispatch(service.handlers, channel, undefined);
      expect(reply).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_CHANNEL' } });
      if (!reply.ok) expect(reply.error.message).toMatch(/^No request channel .*; use one of app:info, /);
      cases++;
    }
  });
});

describe('path arguments', () => {
  it('that lead outside the allowed folders are refused with E_PATH_REFUSED naming the path', async () => {
    // A sibling whose name starts with the allowed folder's name: a prefix test on strings would let it through.
    const sibling = `${data}-sibling`;
    fs.mkdirSync(sibling, { recursive: true });
    fs.symlinkSync('/etc', path.join(data, 'to-etc'));
    fs.symlinkSync(sibling, path.join(data, 'to-sibling'));
    fs.symlinkSync(outside, path.join(data, 'train', 'deep-link'));
    fs.symlinkSync(path.join(data, 'to-etc'), path.join(data, 'link-to-link'));
    const refused = [
      `${data}/..`,
      `${data}/train/../..`,
      `${data}/train/../../${path.basename(outside)}`,
      sibling,
      '/',
      '/etc',
      os.tmpdir(),
      outside,
      path.join(data, 'to-etc'),
      path.join(data, 'to-sibling'),
      path.join(data, 'train', 'deep-link'),
      path.join(data, 'link-to-link'),
    ];
    const relative = ['data', './data', '../etc', path.basename(data), 'train', '~/photos', `.${path.sep}${path.relative('/', data)}`];
    for (const folder of [...refused, ...relative]) {
      const reply = await dispatch(service.handlers, 'datasets:import', { folder });
      expect(reply, folder).toMatchObject({ ok: false, error: { code: 'E_PATH_REFUSED' } });
      if (!reply.ok) {
        expect(reply.error.message, folder).toContain(`Folder '${folder}' `);
        expect(reply.error.message, folder).toMatch(relative.includes(folder) ? / is not an absolute path\.$/ : / is outside the folders this app may read \(.*\); choose it first, or start the host with --allow\.$/);
      }
      cases++;
    }
    // A folder that does not exist is named too (inside or outside: it cannot be resolved to tell).
    const missing = await dispatch(service.handlers, 'datasets:import', { folder: path.join(data, 'no-such-folder') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND', message: `Folder '${path.join(data, 'no-such-folder')}' does not exist.` } });
    cases++;
  });
});

describe('the browser host, over its real socket', () => {
  let host: BrowserHost;
  let page: string;

  beforeAll(async () => {
    page = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-page-'));
    fs.writeFileSync(path.join(page, 'index.html'), '<!doctype html><title>workbench</title>');
    host = await startBrowserHost({ service, pageDir: page, port: 0 });
  });

  afterAll(async () => {
    await host?.close();
  });

  const connect = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { headers: { origin: `http://127.0.0.1:${host.port}` } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  it('refuses every JSON-expressible generated bad request the same way', async () => {
    // NaN, Infinity and undefined do not survive JSON; the rest are sent as a page would send them.
    const wire = generateBadRequests().filter((c) => {
      if (c.request === undefined) return false;
      const json = JSON.stringify(c.request);
      return json.length < 1_000_000 && isDeepStrictEqual(JSON.parse(json), c.request);
    });
    const ws = await connect();
    const replies = new Map<number, Reply<unknown>>();
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as SocketMessage;
      if ('id' in message) replies.set(message.id, message.reply);
    });
    wire.forEach((c, id) => ws.send(JSON.stringify({ id, channel: c.channel, request: c.request })));
    await expect.poll(() => replies.size, { timeout: 30_000 }).toBe(wire.length);
    wire.forEach((c, id) => expectRefusal(c, replies.get(id)!));
    ws.close();
    cases += wire.length;
    console.log(`bad-requests: ${wire.length} of them also sent over the socket, each refused`);
  });

  it('closes the socket on a frame that is not a JSON request with a numeric id (1003)', async () => {
    for (const frame of ['not json', '{"channel":"app:info"}', '{"id":"1","channel":"app:info"}', '[1,2]', 'null', '7', '{"id":1,"channel":"app:info"', '\u0000']) {
      const ws = await connect();
      const code = await new Promise<number>((resolve) => {
        ws.once('close', (c) => resolve(c));
        ws.send(frame);
      });
      expect(code, frame).toBe(1003);
      cases++;
    }
  });
});

// ---- The CLI ----

/** What a value-taking option must accept, from the README and each option's help. */
type OptionSpec =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; above: number; max: number }
  | { kind: 'choice'; choices: string[] }
  | { kind: 'text'; max: number }
  | { kind: 'home' }
  | { kind: 'existing-folder' }
  | { kind: 'output-file' }
  | { kind: 'output-folder' }
  | { kind: 'address' }
  | { kind: 'reference-file' }
  | { kind: 'ablation-list' }
  | { kind: 'relative-path' };

/** The options of what to train, which `train` and `cluster-job` share (cli/commands/training-options.ts). */
const trainingOptions = (command: string): Record<string, OptionSpec> => ({
  [`${command} --preset`]: { kind: 'choice', choices: ['paper', 'quick'] },
  [`${command} --recipe`]: { kind: 'choice', choices: ['paper', 'small-data'] },
  [`${command} --epochs`]: { kind: 'int', min: 1, max: 10_000 },
  [`${command} --batch-size`]: { kind: 'int', min: 1, max: 4096 },
  [`${command} --learning-rate`]: { kind: 'number', above: 0, max: 10 },
  [`${command} --patience`]: { kind: 'int', min: 1, max: 1000 },
  [`${command} --seed`]: { kind: 'int', min: 0, max: 2 ** 31 - 1 },
});

/** Every option that takes a value, as '<command> <flag>' (the global ones with no command). */
const OPTIONS: Record<string, OptionSpec> = {
  ' --home': { kind: 'home' },
  ' --backend': { kind: 'choice', choices: ['auto', 'webgpu', 'wasm', 'cpu', 'tensorflow'] },
  ' --threads': { kind: 'int', min: 1, max: 64 },
  'import --test-fraction': { kind: 'number', above: 0, max: 0.9 },
  'import --seed': { kind: 'int', min: 0, max: 2 ** 31 - 1 },
  'import --name': { kind: 'text', max: 200 },
  'import --leave-out': { kind: 'relative-path' },
  'metrics --per': { kind: 'choice', choices: ['epoch', 'step'] },
  'metrics --format': { kind: 'choice', choices: ['csv', 'json'] },
  'metrics --out': { kind: 'output-file' },
  ...trainingOptions('train'),
  'train --max-steps': { kind: 'int', min: 1, max: 1e9 },
  'train --name': { kind: 'text', max: 200 },
  ...trainingOptions('cluster-job'),
  'cluster-job --out': { kind: 'output-folder' },
  'resume --epochs': { kind: 'int', min: 1, max: 10_000 },
  'resume --max-steps': { kind: 'int', min: 1, max: 1e9 },
  'evaluate --crops': { kind: 'choice', choices: ['centre', 'ten'] },
  'evaluate --split': { kind: 'choice', choices: ['test', 'train'] },
  'predict --crops': { kind: 'choice', choices: ['centre', 'ten'] },
  'predict --top': { kind: 'int', min: 1, max: 100 },
  'neighbours -k': { kind: 'int', min: 1, max: 100 },
  'kernels --out': { kind: 'output-folder' },
  'kernels --scale': { kind: 'int', min: 1, max: 32 },
  'bench --preset': { kind: 'choice', choices: ['paper', 'quick'] },
  'bench --batch-size': { kind: 'int', min: 1, max: 4096 },
  'bench --steps': { kind: 'int', min: 1, max: 10_000 },
  'bench --warmup': { kind: 'int', min: 0, max: 1000 },
  'bench --classes': { kind: 'int', min: 2, max: 100_000 },
  'bench --import-folder': { kind: 'existing-folder' },
  'bench --database': { kind: 'int', min: 1, max: 200_000 },
  'bench --rounds': { kind: 'int', min: 1, max: 100 },
  'bench --python': { kind: 'text', max: 4096 },
  'demo --epochs': { kind: 'int', min: 1, max: 1000 },
  'serve --host': { kind: 'address' },
  'serve --port': { kind: 'int', min: 0, max: 65535 },
  'serve --allow': { kind: 'existing-folder' },
  'export --out': { kind: 'output-folder' },
  'reproduce --preset': { kind: 'choice', choices: ['paper', 'quick'] },
  'reproduce --recipe': { kind: 'choice', choices: ['paper', 'small-data'] },
  'reproduce --epochs': { kind: 'int', min: 1, max: 10_000 },
  'reproduce --batch-size': { kind: 'int', min: 1, max: 4096 },
  'reproduce --seeds': { kind: 'int', min: 1, max: 50 },
  'reproduce --out': { kind: 'output-folder' },
  'reproduce --reference': { kind: 'reference-file' },
  'reproduce --ablations': { kind: 'ablation-list' },
};

/** The positional arguments each command needs before its options (valid in form; the runs and datasets need not exist). */
const POSITIONALS: Record<string, string[]> = {
  '': ['runs'],
  import: ['/tmp'],
  metrics: ['run-x'],
  train: ['dataset-x'],
  'cluster-job': ['dataset-x'],
  resume: ['run-x'],
  evaluate: ['run-x'],
  predict: ['run-x', 'test:0'],
  neighbours: ['run-x', 'test:0'],
  kernels: ['run-x'],
  bench: [],
  demo: [],
  serve: [],
  export: ['run-x'],
  reproduce: ['dataset-x'],
  'cross-check': ['report-x', 'reference.json'],
};

/** The command tree as runCli builds it (its actions are never run here). */
function commandTree(): Command {
  const program = new Command('alexnet');
  const inert = () => async () => {};
  registerCommands(program, inert, async () => 0);
  return program;
}

let home: string;
const cli = (...argv: string[]) => cliInProcess(home, ...argv);

/** A failed command's error: exit code as expected, 'error: ' first, the given words in it, and no stack trace. */
function expectError(r: { code: number; stderr: string }, code: number, label: string, ...words: string[]): void {
  expect(r.code, `${label}: ${r.stderr}`).toBe(code);
  expect(r.stderr, label).toMatch(/^error: \S/);
  expect(r.stderr, label).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  for (const w of words) expect(r.stderr, `${label}: ${r.stderr}`).toContain(w);
}

/** Bad values for an option: [value, the exit code, words the message must hold besides the flag and the value]. */
function badValues(spec: OptionSpec, extra: { file: string; folder: string }): [string, number, string[]][] {
  switch (spec.kind) {
    case 'int':
      return [['abc', 2, []], ['', 2, []], ['1.5', 2, []], [String(spec.min - 1), 2, []], [String(spec.max + 1), 2, []], ['0x10', 2, []], ['NaN', 2, []], ['9'.repeat(20), 2, []]].map(
        ([v, c]) => [v as string, c as number, [`use a whole number from ${spec.min} to ${spec.max}`]],
      );
    case 'number':
      return ['abc', '', String(spec.above), String(spec.above - 1), String(spec.max * 1.5), 'Infinity', 'NaN', '0x1'].map((v) => [v, 2, [`use a number above ${spec.above} and at most ${spec.max}`]]);
    case 'choice':
      return ['not-a-choice', spec.choices[0]!.toUpperCase(), ` ${spec.choices[0]}`, ''].map((v) => [v, 2, [`use one of ${spec.choices.join(', ')}`]]);
    case 'text':
      return ['', '   ', 'two\nlines', 'x'.repeat(spec.max + 1)].map((v) => [v, 2, [`use 1 to ${spec.max} characters without control characters`]]);
    case 'home':
      return [[extra.file, 2, ['is a file; expected a folder']], ['', 2, ['give a folder']]];
    case 'existing-folder':
      return [[path.join(extra.folder, 'no-such-folder'), 3, ['does not exist or is not a folder']], [extra.file, 3, ['does not exist or is not a folder']]];
    case 'output-folder':
      return [[extra.file, 2, ['is a file; expected a folder']]];
    case 'output-file':
      return [[path.join(extra.folder, 'no-such-folder', 'out.csv'), 3, ["Cannot write '"]], [extra.folder, 3, ["Cannot write '"]]];
    case 'ablation-list':
      return ['frobnicate', 'no-lrn,,one-tower', '', 'NO-LRN', 'all'].map((v) => [v, 2, ['is not known; use none, or some of one-tower, no-lrn, non-overlapping-pooling, no-dropout, no-pca-noise']]);
    case 'reference-file':
      return [[path.join(extra.folder, 'no-such.json'), 3, ['Cannot read the reference', 'no such file']], [extra.folder, 3, ['Cannot read the reference']], [extra.file, 3, ['is not JSON', 'bench/reference_train.py']]];
    case 'relative-path':
      return ['/etc/passwd', '../outside.jpg', 'cats/../../up.jpg', ''].map((v) => [v, 2, ['is not allowed; use a path inside the folder, relative to it']]);
    case 'address':
      return [['8.8.8.8', 2, ['is not an address of this machine']], ['no-such-host.invalid', 2, ['is not an address of this machine']]];
  }
}

describe('the CLI with bad arguments (runCli in-process)', () => {
  const ids = { failed: 'run-failed-1', done: 'run-done-1', live: 'run-live-1' };
  let file: string;
  let folder: string;

  beforeAll(() => {
    home = tempHome();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-cli-bad-'));
    file = path.join(folder, 'a-file.txt');
    fs.writeFileSync(file, 'not a folder');
    // Runs in the log without training any: one that failed before its first checkpoint, one completed after 2
    // epochs, one running in a live process (this one).
    const log = RunLog.open(openWorkspace(home).database);
    log.upsertDataset({ id: 'dataset-1', name: 'two classes', source: folder, dir: folder, labels: ['a', 'b'], counts: [], report: {} });
    const run = (id: string, status: 'failed' | 'completed' | 'running') =>
      log.createRun({ id, datasetId: 'dataset-1', name: id, preset: 'quick', config: {}, recipe: 'small-data', seed: 0, backend: 'cpu', device: 'cpu', codeVersion: 'test', status, epochsPlanned: 2 });
    run(ids.failed, 'failed');
    run(ids.done, 'completed');
    log.updateRun(ids.done, { epochsDone: 2 });
    run(ids.live, 'running');
    log.updateRun(ids.live, { pid: process.pid });
    log.close();
  });

  it('has a stated rule for every option that takes a value', () => {
    const found: string[] = [];
    const walk = (command: Command, prefix: string) => {
      for (const option of command.options) if (option.required || option.optional) found.push(`${prefix} ${option.long ?? option.short}`);
      for (const sub of command.commands) walk(sub, prefix ? `${prefix} ${sub.name()}` : sub.name());
    };
    walk(commandTree(), '');
    expect(found.sort()).toEqual(Object.keys(OPTIONS).filter((k) => !k.startsWith(' ')).sort());
  });

  it('refuses each bad option value with exit code 2 (3 for a missing folder or unwritable file), naming the option, the value and what was expected', async () => {
    let tried = 0;
    for (const [key, spec] of Object.entries(OPTIONS)) {
      const [command, flag] = key.split(' ') as [string, string];
      if (spec.kind === 'address' && !fs.existsSync(path.join(PAGE_DIR, 'index.html'))) continue; // serve refuses an unbuilt page first
      const positionals = spec.kind === 'output-file' ? [ids.failed] : (POSITIONALS[command] ?? []);
      for (const [value, code, words] of badValues(spec, { file, folder })) {
        const argv = flag.startsWith('--') ? [`${flag}=${value}`] : [flag, value];
        const r = command === '' ? await cli(...argv, ...positionals) : await cli(command, ...positionals, ...argv);
        const label = `${key} ${JSON.stringify(value)}`;
        // commander names the option as '--epochs <n>'; messages of the command's own checks name it by flag or by value.
        const named = code === 2 && !['output-folder', 'address'].includes(spec.kind) ? ["error: option '", flag, `argument '${value}' is invalid.`] : [value];
        expectError(r, code, label, ...named, ...words);
        tried++;
      }
    }
    cases += tried;
    console.log(`bad-requests: ${tried} bad CLI option values, each refused`);
  });

  it('says what does not exist, with exit code 3, for every argument that names a run, dataset, folder or image', async () => {
    const missing = path.join(folder, 'no-such');
    const checks: [string[], string][] = [
      [['import', missing], `Folder '${missing}' does not exist.`],
      [['import', file], `'${file}' is a file; expected a folder of class folders.`],
      [['train', 'no-such-dataset'], "Dataset 'no-such-dataset' is neither an imported dataset id"],
      [['cluster-job', 'no-such-dataset'], "Dataset 'no-such-dataset' is neither an imported dataset id"],
      [['import-job', '/no/such/job'], "Job folder '/no/such/job' does not exist."],
      [['demo', missing], `Folder '${missing}' does not exist or is not a folder`],
      [['predict', ids.failed, path.join(folder, 'missing.jpg')], `Image '${path.join(folder, 'missing.jpg')}' does not exist`],
      [['predict', ids.failed, folder], `Image '${folder}' is a folder`],
      [['neighbours', ids.failed, path.join(folder, 'missing.jpg')], `Image '${path.join(folder, 'missing.jpg')}' does not exist`],
      ...['evaluate', 'kernels', 'features', 'metrics', 'resume'].map((c): [string[], string] => [[c, 'no-such-run'], "Run 'no-such-run' is not in the run log"]),
      [['runs', 'show', 'no-such-run'], "Run 'no-such-run' is not in the run log"],
      // A run that failed before its first checkpoint has no model to look at.
      ...['evaluate', 'kernels', 'features'].map((c): [string[], string] => [[c, ids.failed], `Run '${ids.failed}' has no checkpoint yet: it must finish at least one epoch.`]),
      [['predict', ids.failed, 'test:0'], `Run '${ids.failed}' has no checkpoint yet`],
      [['cross-check', 'no-such-report', file], "Report 'no-such-report' is neither a report id"],
      [['cross-check', folder, file], `'${folder}' is not a report folder: it has no result.json.`],
    ];
    for (const [argv, words] of checks) expectError(await cli(...argv), 3, argv.join(' '), words);
    cases += checks.length;
  });

  it('refuses arguments of the wrong form or state with exit code 2, naming them', async () => {
    const checks: [string[], string][] = [
      [['predict', ids.failed, 'test:abc'], "Image 'test:abc' is neither an image file nor train:N / test:N"],
      [['neighbours', ids.failed, 'train:-1'], "Image 'train:-1' is neither an image file nor train:N / test:N"],
      [['resume', ids.done], `Run '${ids.done}' has completed its 2 epochs; resume it with --epochs 3 or more to train further.`],
      [['resume', ids.done, '--epochs', '2'], `Run '${ids.done}' has completed its 2 epochs, and --epochs 2 is not more; resume it with --epochs 3 or more`],
      [['resume', ids.live], `Run '${ids.live}' is running in process ${process.pid}; stop it there first.`],
      [['import'], "missing required argument 'folder'"],
      [['predict', ids.failed], "missing required argument 'images'"],
      [['runs', 'show', 'a', 'b'], "too many arguments for 'show'"],
      [['train', 'x', '--epoch', '3'], "unknown option '--epoch'"],
      [['train', 'x', '--epochs'], "option '--epochs <n>' argument missing"],
      [['frobnicate'], "unknown command 'frobnicate'"],
    ];
    for (const [argv, words] of checks) expectError(await cli(...argv), 2, argv.join(' '), words);
    cases += checks.length;
  });
});
