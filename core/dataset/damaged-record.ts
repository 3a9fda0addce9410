// The error of a cached image whose bytes no longer match the checksum written at import (no Node imports, so that
// the compute code that handles it also runs in a page).

/** A cached image that fails its checksum: it is not used, and is reported. */
export class DamagedRecordError extends Error {
  override name = 'DamagedRecordError';
  constructor(
    readonly path: string,
    readonly record: number,
    cacheFile: string,
  ) {
    super(`Image '${path}' is damaged in the cache '${cacheFile}' (record ${record} fails its checksum); it is left out. Import the folder again to repair it.`);
  }
}
