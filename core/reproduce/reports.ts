// The reproduction reports of a workspace (`alexnet reproduce` writes them under reports/): listed, and read back for
// the app, which shows the HTML page as it was written.
import fs from 'node:fs';
import path from 'node:path';
import type { ReportSummary } from '../api/contract';
import type { Workspace } from '../workspace';
import { RESULT_FILE } from './report';
import type { Reproduction } from './reproduce';

function summary(id: string, result: Reproduction): ReportSummary {
  const full = result.variants[0]?.runs ?? [];
  return {
    id,
    date: result.date,
    dataset: result.dataset.name,
    preset: result.preset,
    recipe: result.recipe,
    epochs: result.epochs,
    seeds: full.map((r) => r.seed),
    runs: result.variants.flatMap((v) => v.runs.map((r) => r.runId)),
    crossCheck: result.crossCheck
      ? { reference: result.crossCheck.reference.name, differencePoints: result.crossCheck.differencePoints, tolerancePoints: result.crossCheck.tolerancePoints, verdict: result.crossCheck.verdict, pairs: result.crossCheck.pairs.length }
      : null,
  };
}

/** Every report of the workspace, newest first; a folder without a readable result is passed over. */
export function listReports(workspace: Workspace): ReportSummary[] {
  if (!fs.existsSync(workspace.reports)) return [];
  const out: ReportSummary[] = [];
  for (const id of fs.readdirSync(workspace.reports)) {
    try {
      out.push(summary(id, JSON.parse(fs.readFileSync(path.join(workspace.reports, id, RESULT_FILE), 'utf8')) as Reproduction));
    } catch {
      // Not a report (or one still being written): nothing to list.
    }
  }
  return out.sort((a, b) => b.date.localeCompare(a.date));
}

/** One report's summary, Markdown and HTML page, or undefined when there is no such report. */
export function readReport(workspace: Workspace, id: string): { summary: ReportSummary; markdown: string; html: string } | undefined {
  const dir = path.join(workspace.reports, id);
  if (path.dirname(dir) !== workspace.reports || !fs.existsSync(path.join(dir, RESULT_FILE))) return undefined;
  const result = JSON.parse(fs.readFileSync(path.join(dir, RESULT_FILE), 'utf8')) as Reproduction;
  return { summary: summary(id, result), markdown: fs.readFileSync(path.join(dir, 'report.md'), 'utf8'), html: fs.readFileSync(path.join(dir, 'report.html'), 'utf8') };
}
