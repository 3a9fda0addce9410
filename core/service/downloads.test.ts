// Download tickets against a clock the test moves: valid for their lifetime and no longer, unguessable, one file
// each, and dead once the file is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Downloads, TICKET_LIFETIME_MS } from './downloads';

describe('Downloads', () => {
  it('answers a ticket with its file until it expires, and never a ticket it did not issue', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-downloads-'));
    const a = path.join(folder, 'model.onnx');
    const b = path.join(folder, 'weights.bin');
    fs.writeFileSync(a, 'onnx bytes');
    fs.writeFileSync(b, 'weights');
    let now = 1_000;
    const downloads = new Downloads(() => now);
    const first = downloads.issue(a, 'ONNX model');
    const second = downloads.issue(b, 'weights', 'renamed.bin');
    expect(first).toMatchObject({ label: 'ONNX model', name: 'model.onnx', bytes: 10 });
    expect(second).toMatchObject({ name: 'renamed.bin', bytes: 7 });
    expect(first.ticket).toMatch(/^[0-9a-f]{48}$/);
    expect(first.ticket).not.toBe(second.ticket);
    expect(downloads.find(first.ticket)).toEqual({ file: a, name: 'model.onnx' });
    expect(downloads.find(second.ticket)).toEqual({ file: b, name: 'renamed.bin' });
    expect(downloads.find('0'.repeat(48))).toBeUndefined();
    now += TICKET_LIFETIME_MS - 1;
    expect(downloads.find(first.ticket)).toBeDefined();
    fs.rmSync(b);
    expect(downloads.find(second.ticket)).toBeUndefined();
    now += 1;
    expect(downloads.find(first.ticket)).toBeUndefined();
  });
});
