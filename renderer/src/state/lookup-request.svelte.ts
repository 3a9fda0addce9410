// A look-up asked for by another view ("Open in Look-up" on a confusion cell's image), waiting for the Look-up view.
import type { CropMode, ImageRef } from '../../../core/api/contract';

export interface PendingLookup {
  runId: string;
  image: ImageRef;
  crops: CropMode;
  /** What to call it on the page: the image's path. */
  name: string;
}

class LookupRequest {
  pending = $state<PendingLookup | null>(null);

  take(): PendingLookup | null {
    const pending = this.pending;
    this.pending = null;
    return pending;
  }
}

export const lookupRequest = new LookupRequest();
