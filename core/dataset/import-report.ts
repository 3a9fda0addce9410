// Reading an import report of any version, and the warnings a report gives about the dataset it describes.
import { isLabelConflict } from './duplicates';
import { SMALL_IMAGE_SIDE, type DuplicateGroup, type ImportReport } from './types';
import { counted } from '../words';

/** The class a path belongs to: its first folder, or its second under train/ and test/ folders. */
function classOf(path: string, layout: ImportReport['split']['kind']): string {
  const parts = path.split('/');
  return (layout === 'folders' ? parts[1] : parts[0]) ?? '';
}

/**
 * A report as the importer writes it today, from one of any version: reports written before pixel duplicates were
 * found list duplicate groups as arrays of paths (identical files) and have no small images or left-out files.
 */
export function currentReport(stored: ImportReport): ImportReport {
  const duplicates = (stored.duplicates as (DuplicateGroup | string[])[]).map((group): DuplicateGroup =>
    Array.isArray(group) ? { kind: 'files', images: group.map((path) => ({ path, className: classOf(path, stored.split.kind) })) } : group,
  );
  return { ...stored, duplicates, smallImages: stored.smallImages ?? [], excluded: stored.excluded ?? [] };
}

/** The groups of duplicates whose images are in more than one class. */
export function labelConflicts(report: ImportReport): DuplicateGroup[] {
  return report.duplicates.filter(isLabelConflict);
}

/** What a user should know before training on the dataset, in sentences; empty when nothing is amiss. */
export function datasetWarnings(report: ImportReport): string[] {
  const warnings: string[] = [];
  const conflicts = labelConflicts(report);
  if (conflicts.length > 0) {
    const first = conflicts[0]!.images;
    const named = first.slice(0, 3).map((i) => `'${i.path}' (${i.className})`).join(', ');
    warnings.push(
      `${counted(conflicts.length, 'picture')} ${conflicts.length === 1 ? 'is' : 'are'} in more than one class (label conflicts), e.g. ` +
        `${named}${first.length > 3 ? ` and ${first.length - 3} more` : ''}: leave them out or move each to its right class.`,
    );
  }
  const tested = report.counts.some((c) => c.test > 0);
  const untested = report.counts.filter((c) => c.test === 0 && c.train > 0).map((c) => c.label);
  if (tested && untested.length > 0) {
    warnings.push(`${counted(untested.length, 'class', 'classes')} ${untested.length === 1 ? 'has' : 'have'} no test images (${untested.map((l) => `'${l}'`).join(', ')}): their error is not measured.`);
  }
  if (report.smallImages.length > 0) {
    const { path, width, height } = report.smallImages[0]!;
    warnings.push(
      `${counted(report.smallImages.length, 'image')} ${report.smallImages.length === 1 ? 'is' : 'are'} under ${SMALL_IMAGE_SIDE} px on the shorter side (e.g. '${path}', ${width}x${height}): ` +
        `enlarged more than twice to 256, they train blurred.`,
    );
  }
  if (report.leakage.length > 0) {
    warnings.push(`${counted(report.leakage.length, 'pair')} of duplicates ${report.leakage.length === 1 ? 'is' : 'are'} split between train and test: the test error is measured partly on training pictures.`);
  }
  return warnings;
}
