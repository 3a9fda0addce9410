// Thumbnails of dataset images, fetched with 'datasets:thumbnails' in calls of at most 200 and kept (shared by every
// grid), so scrolling back and switching views ask the host for nothing twice.
import type { ImageRef } from '../../../core/api/contract';
import { invoke } from '../api-client';

/** The contract's limit on one 'datasets:thumbnails' call. */
export const MOST_PER_CALL = 200;
/** About 3 kB each: some 30 MB at most. */
const MOST_KEPT = 10_000;

const kept = new Map<string, string>();
const inFlight = new Map<string, Promise<void>>();

function keyOf(datasetId: string, ref: ImageRef, size: number): string {
  return `${datasetId}/${ref.split}/${ref.index}/${size}`;
}

export function thumbnailOf(datasetId: string, ref: ImageRef, size: number): string | undefined {
  return kept.get(keyOf(datasetId, ref, size));
}

/** Fetches the thumbnails of `refs` not yet kept nor on their way; resolves when all of them are kept. */
export async function loadThumbnails(datasetId: string, refs: readonly ImageRef[], size: number): Promise<void> {
  const waits: Promise<void>[] = [];
  const missing: ImageRef[] = [];
  for (const ref of refs) {
    const key = keyOf(datasetId, ref, size);
    if (kept.has(key)) continue;
    const pending = inFlight.get(key);
    if (pending) waits.push(pending);
    else missing.push(ref);
  }
  for (let start = 0; start < missing.length; start += MOST_PER_CALL) {
    const chunk = missing.slice(start, start + MOST_PER_CALL);
    const call = invoke('datasets:thumbnails', { datasetId, images: chunk, size }).then(
      (urls) => {
        chunk.forEach((ref, i) => keep(keyOf(datasetId, ref, size), urls[i]!));
      },
    );
    const settled = call.finally(() => chunk.forEach((ref) => inFlight.delete(keyOf(datasetId, ref, size))));
    for (const ref of chunk) inFlight.set(keyOf(datasetId, ref, size), settled);
    waits.push(settled);
  }
  await Promise.all(waits);
}

function keep(key: string, url: string): void {
  // Oldest out first: a Map iterates in insertion order.
  if (kept.size >= MOST_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, url);
}
