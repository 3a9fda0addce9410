// The dataset channels on real photos and a real run log: label conflicts with their thumbnails' addresses, files left
// out by a re-import, one image opened from its source file, renaming, and deleting (refused while a run uses it).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../api/contract';
import { RunLog } from '../runlog/run-log';
import { openWorkspace } from '../workspace';
import { serviceWithoutCompute, smallDataset, tempHome } from '../../e2e/fixtures';
import type { Service } from './service';

let home: string;
let service: Service;
let data: string;
const events: HostEvent[] = [];

async function importFolder(request: { folder: string; exclude?: string[]; name?: string }): Promise<Extract<HostEvent, { type: 'import:finished' }>> {
  const { jobId } = await service.handlers['datasets:import'](request);
  for (let waited = 0; waited < 60_000; waited += 20) {
    const finished = events.find((e): e is Extract<HostEvent, { type: 'import:finished' }> => e.type === 'import:finished' && e.jobId === jobId);
    if (finished) return finished;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Import ${jobId} did not finish in 60 s.`);
}

beforeAll(async () => {
  data = smallDataset(3, 4, 2);
  // The first training photo of the first class, re-saved and filed in the second class as well: a label conflict.
  const classes = fs.readdirSync(path.join(data, 'train')).sort();
  const original = path.join(data, 'train', classes[0]!, fs.readdirSync(path.join(data, 'train', classes[0]!)).sort()[0]!);
  await sharp(original).jpeg({ quality: 65 }).toFile(path.join(data, 'train', classes[1]!, 'copy.jpg'));
  home = tempHome();
  service = serviceWithoutCompute([data], { home });
  service.subscribe((e) => events.push(e));
});

afterAll(async () => {
  await service?.close();
});

describe('the dataset channels', () => {
  let datasetId: string;
  let conflict: string[];

  it('report a label conflict with the addresses of its thumbnails, and a warning', async () => {
    const finished = await importFolder({ folder: data });
    expect(finished.error).toBeNull();
    datasetId = finished.datasetId!;
    const { report, labels } = await service.handlers['datasets:get']({ datasetId });
    expect(report.totals).toMatchObject({ duplicates: 1, labelConflicts: 1, leakage: 0, excluded: 0 });
    const [group] = report.labelConflicts;
    expect(group!.images.map((i) => i.className)).toEqual([labels[0], labels[1]]);
    conflict = group!.images.map((i) => i.path);
    // Each address opens that very image: its thumbnail is the one of the image at that path.
    for (const image of group!.images) {
      const opened = await service.handlers['datasets:image']({ datasetId, image: image.image! });
      expect(opened.path).toBe(image.path);
    }
    expect(report.warnings[0]).toMatch(/^1 picture is in more than one class \(label conflicts\)/);
  });

  it('leave the conflict out on request, and keep it out until asked back', async () => {
    expect((await importFolder({ folder: data, exclude: conflict })).error).toBeNull();
    let detail = await service.handlers['datasets:get']({ datasetId });
    expect([detail.report.excluded, detail.report.totals.labelConflicts, detail.train]).toEqual([conflict, 0, 12 + 1 - 2]);
    expect((await importFolder({ folder: data })).error).toBeNull();
    detail = await service.handlers['datasets:get']({ datasetId });
    expect(detail.report.excluded).toEqual(conflict);
    await expect(service.handlers['datasets:import']({ folder: data, exclude: ['../outside.jpg'] })).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/got '\.\.\/outside\.jpg'/) });
    expect((await importFolder({ folder: data, exclude: [] })).error).toBeNull();
    expect((await service.handlers['datasets:get']({ datasetId })).train).toBe(13);
  });

  it('open one image from its source file, and from the cache once the file has changed', async () => {
    const image = { split: 'test' as const, index: 1 };
    const opened = await service.handlers['datasets:image']({ datasetId, image });
    const file = path.join(data, ...opened.path.split('/'));
    const source = await sharp(file).metadata();
    expect([opened.width, opened.height]).toEqual([source.width, source.height]);
    const shown = await sharp(Buffer.from(opened.url.replace(/^data:image\/jpeg;base64,/, ''), 'base64')).metadata();
    expect([opened.fromSource, shown.width, shown.height]).toEqual([true, source.width, source.height]);
    expect(opened.className).toBe((await service.handlers['datasets:get']({ datasetId })).labels[opened.label]);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from([0])])); // changed since the import: not this image any more
    try {
      const cached = await service.handlers['datasets:image']({ datasetId, image });
      const copy = await sharp(Buffer.from(cached.url.replace(/^data:image\/jpeg;base64,/, ''), 'base64')).metadata();
      expect([cached.fromSource, copy.width, copy.height]).toEqual([false, 256, 256]);
    } finally {
      fs.writeFileSync(file, bytes);
    }
    await expect(service.handlers['datasets:image']({ datasetId, image: { split: 'test', index: 6 } })).rejects.toThrow(/Image 6 of the test split does not exist; it has 6 images/);
  });

  it('rename a dataset in the list and in its folder, and keep the name on a re-import', async () => {
    const renamed = await service.handlers['datasets:rename']({ datasetId, name: 'Three classes' });
    expect(renamed.name).toBe('Three classes');
    expect((await service.handlers['datasets:list'](undefined)).map((d) => d.name)).toEqual(['Three classes']);
    expect((await importFolder({ folder: data })).error).toBeNull();
    expect((await service.handlers['datasets:get']({ datasetId })).name).toBe('Three classes');
    await expect(service.handlers['datasets:rename']({ datasetId: 'nope', name: 'x' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('refuse to delete a dataset a run uses, naming the run; then delete its copy and never the source', async () => {
    const log = RunLog.open(openWorkspace(home).database);
    try {
      log.createRun({ id: 'run-1', datasetId, name: 'keeper', preset: 'quick', config: {}, recipe: 'small-data', seed: 1, backend: 'cpu', device: 'cpu', codeVersion: 'test', status: 'completed', epochsPlanned: 1 });
      await expect(service.handlers['datasets:delete']({ datasetId })).rejects.toMatchObject({
        code: 'E_BUSY',
        message: "Dataset 'Three classes' is used by run 'keeper'; delete that run first (a run needs its dataset to be evaluated and looked up).",
      });
      log.deleteRun('run-1');
    } finally {
      log.close();
    }
    const dir = path.join(openWorkspace(home).datasets, datasetId);
    expect(fs.existsSync(dir)).toBe(true);
    expect(await service.handlers['datasets:delete']({ datasetId })).toEqual({ deleted: datasetId });
    expect(fs.existsSync(dir)).toBe(false);
    expect(await service.handlers['datasets:list'](undefined)).toEqual([]);
    expect(fs.readdirSync(path.join(data, 'train'))).toHaveLength(3);
    await expect(service.handlers['datasets:get']({ datasetId })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
