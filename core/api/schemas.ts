// The schema of every request channel (zod): checks a value that came from another process and returns it typed,
// or throws an ApiError that quotes the offending value and says what was expected.
import { z } from 'zod';
import { ApiError, type Channel, type RequestOf } from './contract';

const MAX_BASE64 = Math.ceil((32 * 1024 * 1024 * 4) / 3) + 4; // 32 MiB of image bytes

const id = z.string().min(1).max(200).regex(/^[\w.:-]+$/, 'an id of letters, digits, . _ : -');
const integer = (min: number, max: number) => z.number().int().min(min).max(max);
const split = z.enum(['train', 'test']);
const crops = z.enum(['centre', 'ten']);
const imageRef = z.strictObject({ split, index: integer(0, 1e9) });
const nothing = z.undefined();

const ablations = z.strictObject({
  oneTower: z.boolean(),
  noLrn: z.boolean(),
  nonOverlappingPooling: z.boolean(),
  noDropout: z.boolean(),
  noPcaNoise: z.boolean(),
});

/** Each channel's schema; `satisfies` keeps them in step with the contract's types. */
export const REQUEST_SCHEMAS = {
  'app:info': nothing,
  'datasets:list': nothing,
  'datasets:get': z.strictObject({ datasetId: id }),
  'datasets:import': z.strictObject({
    folder: z.string().min(1).max(4096),
    testFraction: z.number().gt(0).lt(1).optional(),
    seed: integer(0, 2 ** 31 - 1).optional(),
    name: z.string().min(1).max(200).optional(),
  }),
  'datasets:images': z.strictObject({
    datasetId: id,
    label: integer(0, 1e6).nullable(),
    split: z.enum(['train', 'test', 'all']),
    offset: integer(0, 1e9),
    limit: integer(1, 1000),
  }),
  'datasets:thumbnails': z.strictObject({ datasetId: id, images: z.array(imageRef).max(200), size: integer(16, 256).optional() }),
  'train:options': nothing,
  'train:start': z.strictObject({
    datasetId: id,
    preset: z.enum(['paper', 'quick']),
    recipe: z.enum(['small-data', 'paper']),
    epochs: integer(1, 10_000).optional(),
    batchSize: integer(1, 4096).optional(),
    learningRate: z.number().gt(0).max(10).optional(),
    patience: integer(1, 1000).optional(),
    seed: integer(0, 2 ** 31 - 1),
    ablations,
    name: z.string().min(1).max(200).optional(),
  }),
  'train:resume': z.strictObject({ runId: id, epochs: integer(1, 10_000).optional() }),
  'train:control': z.strictObject({ runId: id, action: z.enum(['pause', 'resume', 'stop', 'divide-learning-rate']) }),
  'jobs:state': nothing,
  'runs:list': nothing,
  'runs:get': z.strictObject({ runId: id }),
  'runs:delete': z.strictObject({ runId: id }),
  'kernels:get': z.strictObject({ runId: id, snapshot: integer(0, 1e6).optional() }),
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

function quote(value: unknown): string {
  if (typeof value === 'string' && value.length > 80) return JSON.stringify(`${value.slice(0, 77)}...`);
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** The value at a path inside the request, to quote it. */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
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
    if (issue.code === 'unrecognized_keys') return `${field} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    const got = at(value, issue.path);
    return `${field} is ${got === undefined ? 'missing' : quote(got)}: ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  throw new ApiError('E_BAD_REQUEST', `Bad '${channel}' request: ${problems.join('; ')}.`);
}
