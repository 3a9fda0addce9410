// `alexnet import --leave-out`, `alexnet datasets rename` and `alexnet datasets delete`, through runCli in this process
// (the command tree and its output exactly as a user gets them, without a process start per command).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunLog } from '../core/runlog/run-log';
import { openWorkspace } from '../core/workspace';
import { cliInProcess, smallDataset, tempHome } from './fixtures';

let home: string;

const alexnet = (...argv: string[]) => cliInProcess(home, ...argv);

describe('alexnet datasets', () => {
  let folder: string;
  let left: string;
  let id: string;

  beforeAll(() => {
    home = tempHome();
    folder = smallDataset(2, 3, 1);
    const first = fs.readdirSync(path.join(folder, 'train')).sort()[0]!;
    left = `train/${first}/${fs.readdirSync(path.join(folder, 'train', first)).sort()[0]!}`;
  });

  it('leaves files out of an import, and keeps them out on the next', async () => {
    const imported = await alexnet('--json', 'import', folder, '--leave-out', left);
    expect(imported.code, imported.stderr).toBe(0);
    const out = JSON.parse(imported.stdout) as { id: string; report: { imported: number; excluded: string[] } };
    id = out.id;
    expect([out.report.imported, out.report.excluded]).toEqual([7, [left]]);
    expect((await alexnet('import', folder)).stdout).toContain(`left out at your request: 1 file (${left})`);
    const back = await alexnet('--json', 'import', folder, '--leave-out', 'none');
    expect((JSON.parse(back.stdout) as { report: { imported: number } }).report.imported).toBe(8);
  });

  it('renames a dataset', async () => {
    expect((await alexnet('datasets', 'rename', id, 'Two classes')).stdout).toContain(`dataset ${id} is now 'Two classes'`);
    expect((await alexnet('datasets')).stdout).toMatch(new RegExp(`${id}  2 classes  Two classes  `));
  });

  it('refuses to delete a dataset a run uses, naming the run, and deletes one no run uses, leaving its folder', async () => {
    const log = RunLog.open(openWorkspace(home).database);
    log.createRun({ id: 'run-1', datasetId: id, name: 'keeper', preset: 'quick', config: {}, recipe: 'small-data', seed: 0, backend: 'cpu', device: 'cpu', codeVersion: 'test', status: 'completed', epochsPlanned: 1 });
    log.close();
    const refused = await alexnet('datasets', 'delete', id);
    expect([refused.code, refused.stderr.trim()]).toEqual([2, "error: Dataset 'Two classes' is used by run 'keeper'; delete that run first (a run needs its dataset to be evaluated and looked up)."]);
    const again = RunLog.open(openWorkspace(home).database);
    again.deleteRun('run-1');
    again.close();
    const deleted = await alexnet('datasets', 'delete', id);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted dataset ${id} ('Two classes'); its source folder ${folder} is untouched`);
    expect((await alexnet('datasets')).stdout).toContain("no datasets yet: 'alexnet import <folder>'");
    expect(fs.existsSync(path.join(folder, left))).toBe(true);
    expect(fs.existsSync(path.join(openWorkspace(home).datasets, id))).toBe(false);
    expect((await alexnet('datasets', 'delete', 'no-such')).code).toBe(3);
  });
});
