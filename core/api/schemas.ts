// The schema of every request channel (zod): checks a value that came from another process and returns it typed,
// or throws an ApiError that quotes the offending value and says what was expected.
import { z } from 'zod';
import { ApiError, type Channel, type RequestOf } from './contract';
import { CROP_MODES, LIMITS, PRESETS, RECIPE_NAMES, SPLITS } from '../vocabulary';

const MAX_BASE64 = Math.ceil((32 * 1024 * 1024 * 4) / 3) + 4; // 32 MiB of image bytes

// Ids name folders on disk (runs/<id>): a leading letter or digit keeps '.', '..' and hidden names out.
const id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][\w.:-]*$/, 'expected an id: a letter or digit, then letters, digits, . _ : -');
const integer = (min: number, max: number) => z.number().int().min(min).max(max);
/** A name shown in lists: not blank, no control characters (a newline in a run's name would break the CLI's listing). */
const name = z
  .string()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex
  .refine((n) => n.trim() !== '' && !/[\u0000-\u001f\u007f]/.test(n), 'expected 1 to 200 characters, not blank, without control characters');
const split = z.enum(SPLITS);
const crops = z.enum(CROP_MODES);
const seed = integer(LIMITS.seed.min, LIMITS.seed.max);
const epochs = integer(LIMITS.epochs.min, LIMITS.epochs.max);
const imageRef = z.strictObject({ split, index: integer(0, 1e9) });
const nothing = z.undefined();

const ablations = z.strictObject({
  oneTower: z.boolean(),
  noLrn: z.boolean(),
  nonOverlappingPooling: z.boolean(),
  noDropout: z.boolean(),
  noPcaNoise: z.boolean(),
});

/** A run's settings: for train:start, and for cluster:write (the same settings, trained elsewhere). */
const trainRequest = z.strictObject({
  datasetId: id,
  preset: z.enum(PRESETS),
  recipe: z.enum(RECIPE_NAMES),
  epochs: epochs.optional(),
  batchSize: integer(LIMITS.batchSize.min, LIMITS.batchSize.max).optional(),
  learningRate: z.number().gt(0).max(LIMITS.learningRate.max).optional(),
  patience: integer(LIMITS.patience.min, LIMITS.patience.max).optional(),
  seed,
  ablations,
  name: name.optional(),
});

/** Each channel's schema; `satisfies` keeps them in step with the contract's types. */
export const REQUEST_SCHEMAS = {
  'app:info': nothing,
  'datasets:list': nothing,
  'datasets:get': z.strictObject({ datasetId: id }),
  'datasets:import': z.strictObject({
    // A NUL byte cannot be in a path (the system calls stop at it), so it is refused here rather than as 'not found'.
    folder: z.string().min(1).max(4096).refine((f) => !f.includes('\0'), 'expected a path without NUL characters'),
    testFraction: z.number().gt(0).lt(1).optional(),
    seed: seed.optional(),
    name: name.optional(),
    exclude: z.array(z.string().min(1).max(4096)).max(100_000).optional(),
  }),
  'datasets:rename': z.strictObject({ datasetId: id, name }),
  'datasets:delete': z.strictObject({ datasetId: id }),
  'datasets:image': z.strictObject({ datasetId: id, image: imageRef }),
  'datasets:images': z.strictObject({
    datasetId: id,
    label: integer(0, 1e6).nullable(),
    split: z.enum(['train', 'test', 'all']),
    offset: integer(0, 1e9),
    limit: integer(1, 1000),
  }),
  'datasets:thumbnails': z.strictObject({ datasetId: id, images: z.array(imageRef).max(200), size: integer(16, 256).optional() }),
  'train:options': nothing,
  'train:start': trainRequest,
  'train:estimate': trainRequest,
  'train:resume': z.strictObject({ runId: id, epochs: epochs.optional() }),
  'train:control': z.strictObject({ runId: id, action: z.enum(['pause', 'resume', 'stop', 'divide-learning-rate']) }),
  'jobs:state': nothing,
  'runs:list': nothing,
  'runs:get': z.strictObject({ runId: id }),
  'runs:delete': z.strictObject({ runId: id }),
  'runs:export': z.strictObject({ runId: id }),
  'reports:list': nothing,
  'reports:get': z.strictObject({ reportId: id }),
  'cluster:write': trainRequest,
  'cluster:import': z.strictObject({ folder: z.string().min(1).max(4096) }),
  'kernels:get': z.strictObject({ runId: id, snapshot: integer(0, 1e6).optional() }),
  'lookup:features': z.strictObject({ runId: id }),
  'confusion:cancel': z.strictObject({ runId: id, crops }),
  'lookup:query': z.strictObject({
    runId: id,
    image: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('bytes'), name: z.string().min(1).max(1024), base64: z.string().min(1).max(MAX_BASE64) }),
      z.strictObject({ kind: z.literal('dataset'), split, index: integer(0, 1e9) }),
    ]),
    crops: crops.optional(),
    k: integer(1, 50).optional(),
  }),
  'confusion:get': z.strictObject({ runId: id, crops }),
  'confusion:cell': z.strictObject({ runId: id, crops, trueLabel: integer(0, 1e6), predictedLabel: integer(0, 1e6) }),
} satisfies { [C in Channel]: z.ZodType<RequestOf<C>> };

export const CHANNELS = Object.keys(REQUEST_SCHEMAS) as Channel[];

/** A value as the error message shows it: JSON where JSON can say it (NaN, Infinity and bigints cannot), cut at 80 characters. */
function quote(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string' && value.length > 80) return JSON.stringify(`${value.slice(0, 77)}...`);
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** The value at a path inside the request, to quote it. */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** The object schema that a path inside a request leads to (through optional, nullable, arrays and unions), if any. */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[], value: unknown): z.ZodObject | undefined {
  let current: z.ZodType | undefined = schema;
  let v = value;
  for (let i = 0; i <= path.length && current; ) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDiscriminatedUnion) {
      const key: string = current.def.discriminator;
      const tag = at(v, [key]);
      current = (current.options as z.ZodObject[]).find((o) => (o.shape[key] as z.ZodLiteral).values.has(tag as never));
    } else if (i === path.length) break;
    else if (current instanceof z.ZodObject) {
      current = current.shape[path[i] as string] as z.ZodType | undefined;
      v = at(v, [path[i++]!]);
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
      v = at(v, [path[i++]!]);
    } else return undefined;
  }
  return current instanceof z.ZodObject ? current : undefined;
}

/** What an issue says was expected, in words: zod's message without its 'Invalid input:' prefix, integers named as such. */
function expectation(issue: z.core.$ZodIssue, missing: boolean): string {
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'expected a whole number';
  if (missing && issue.code === 'invalid_type') return `expected ${issue.expected}`;
  const text = issue.message.replace(/^(Invalid input|Invalid option|Too small|Too big|Invalid discriminator value)[:.] /, '');
  return /^expected\b/i.test(text) ? `e${text.slice(1)}` : `expected ${text}`;
}

export function parseChannel(value: unknown): Channel {
  if (typeof value === 'string' && Object.hasOwn(REQUEST_SCHEMAS, value)) return value as Channel;
  throw new ApiError('E_UNKNOWN_CHANNEL', `No request channel ${quote(value)}; use one of ${CHANNELS.join(', ')}.`);
}

/** Checks a request against its channel's schema; the error names the field, quotes the value and says what was expected. */
export function parseRequest<C extends Channel>(channel: C, value: unknown): RequestOf<C> {
  const schema = REQUEST_SCHEMAS[channel] as z.ZodType<RequestOf<C>>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  if (schema === nothing) throw new ApiError('E_BAD_REQUEST', `'${channel}' takes no request; got ${quote(value)}.`);
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    const field = issue.path.length > 0 ? `'${issue.path.join('.')}'` : 'the request';
    if (issue.code === 'unrecognized_keys') {
      const known = objectAt(schema, issue.path, value);
      const fields = known ? `; expected only ${Object.keys(known.shape).map((k) => `'${k}'`).join(', ')}` : '';
      return `${field} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${fields}`;
    }
    const got = at(value, issue.path);
    const missing = got === undefined;
    return `${field} is ${missing ? 'missing' : quote(got)}: ${expectation(issue, missing)}`;
  });
  throw new ApiError('E_BAD_REQUEST', `Bad '${channel}' request: ${problems.join('; ')}.`);
}
