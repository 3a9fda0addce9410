// Checks the path policy on real folders and links: inside is allowed, outside refused, and a missing path is said
// to be missing only inside the allowed folders (outside, whether a path exists is not told).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PathPolicy } from './paths';
import { tally } from '../../e2e/faults/report';

// Each check here is a case of the fault suite's 'safe by default' part (npm run test:faults).
afterEach(() => tally('safe-by-default', { cases: 1 }));

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-paths-')));
const allowed = path.join(base, 'allowed');
const outside = path.join(base, 'outside');
fs.mkdirSync(path.join(allowed, 'photos'), { recursive: true });
fs.mkdirSync(outside);
fs.symlinkSync(outside, path.join(allowed, 'link-out'));
const policy = new PathPolicy([allowed]);

describe('the path policy', () => {
  it('allows folders inside, by their real path', () => {
    expect(policy.check(path.join(allowed, 'photos'))).toBe(path.join(allowed, 'photos'));
    expect(policy.check(path.join(allowed, 'photos', '..', 'photos'))).toBe(path.join(allowed, 'photos'));
  });

  it('refuses relative paths, paths outside, and links that lead outside', () => {
    expect(() => policy.check('photos')).toThrow(expect.objectContaining({ code: 'E_PATH_REFUSED', message: "Folder 'photos' is not an absolute path." }));
    expect(() => policy.check(outside)).toThrow(expect.objectContaining({ code: 'E_PATH_REFUSED' }));
    expect(() => policy.check(path.join(allowed, '..', 'outside'))).toThrow(expect.objectContaining({ code: 'E_PATH_REFUSED' }));
    expect(() => policy.check(path.join(allowed, 'link-out'))).toThrow(expect.objectContaining({ code: 'E_PATH_REFUSED' }));
  });

  it('says a path is missing only inside the allowed folders', () => {
    expect(() => policy.check(path.join(allowed, 'nope'))).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND', message: `Folder '${path.join(allowed, 'nope')}' does not exist.` }));
    // Outside, an existing and a missing path get the same answer.
    for (const p of [path.join(outside), path.join(outside, 'nope'), path.join(allowed, 'link-out', 'nope'), '/no/such/place']) {
      expect(() => policy.check(p)).toThrow(expect.objectContaining({ code: 'E_PATH_REFUSED' }));
    }
  });
});
