// The folders the UI journeys import: real photos (the embedded Caltech 101 subset), a damaged copy with broken files,
// and a folder without classes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO, smallDataset } from '../fixtures';
import type { JourneyFolders } from './journey';

const firstFile = (folder: string) => path.join(folder, fs.readdirSync(folder).sort()[0]!);

/** Makes the journey's folders under one temporary root (the folder the host is allowed to read). */
export function journeyFolders(): JourneyFolders & { root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-ui-'));
  const good = path.join(root, 'photos');
  fs.renameSync(smallDataset(6, 6, 2), good); // 36 training and 12 test photos of 6 classes
  const damaged = path.join(root, 'damaged');
  fs.cpSync(path.join(good, 'train'), damaged, { recursive: true });
  const classFolder = path.join(damaged, fs.readdirSync(damaged).sort()[0]!);
  const original = path.basename(firstFile(classFolder));
  const bytes = fs.readFileSync(path.join(classFolder, original));
  fs.writeFileSync(path.join(classFolder, 'cut-off.jpg'), bytes.subarray(0, Math.floor(bytes.length / 3)));
  fs.writeFileSync(path.join(classFolder, 'empty.jpg'), '');
  fs.writeFileSync(path.join(classFolder, 'letter.png'), 'Dear reader, this is text, not a PNG.');
  // The same photo filed in a second class as well: a label conflict.
  const [firstClass, secondClass] = fs.readdirSync(damaged).sort() as [string, string];
  fs.copyFileSync(path.join(classFolder, original), path.join(damaged, secondClass, 'filed-twice.jpg'));
  const noClasses = path.join(root, 'loose-files');
  fs.mkdirSync(noClasses);
  fs.writeFileSync(path.join(noClasses, 'readme.txt'), 'no class folders here');
  return {
    root,
    good,
    damaged,
    broken: [
      { name: 'cut-off.jpg', reason: 'undecodable' },
      { name: 'empty.jpg', reason: 'empty-file' },
      { name: 'letter.png', reason: 'undecodable' },
    ],
    conflict: [
      { path: `${firstClass}/${original}`, className: firstClass },
      { path: `${secondClass}/filed-twice.jpg`, className: secondClass },
    ],
    noClasses,
    photo: firstFile(path.join(DEMO, 'test', 'Motorbikes')),
  };
}
