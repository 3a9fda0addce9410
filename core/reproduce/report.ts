// The reproduction report: a Markdown summary (for docs/REPRODUCTION.md) and a self-contained HTML page with the
// same tables, the towers' colour specificity over training (Figure 3), their kernel grids, and retrieval examples
// (Figure 4). The page has no script and loads nothing, so it opens anywhere, the app included.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../dataset/cache';
import type { Dataset } from '../dataset/dataset';
import { COLOUR_DEFINITION, COLOUR_METHOD, formatP, formatRandomRange, RANDOM_RANGE_SDS } from '../inspect/colour-baseline';
import { jpegDataUrl, pngDataUrl } from '../inspect/image-urls';
import { kernelGridPng, type KernelShape } from '../inspect/kernels';
import type { RunLog } from '../runlog/run-log';
import type { CrossCheck } from './cross-check';
import type { Reproduction, RunResult } from './reproduce';
import type { Variant } from './variants';
import { counted } from '../words';

/** The reproduction's figures as JSON, beside the report. */
export const RESULT_FILE = 'result.json';

const points = (x: number) => (x * 100).toFixed(1);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation; 0 for one value. */
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

interface Row {
  variant: Variant;
  runs: RunResult[];
  centre: { top1: number[]; top5: number[] };
  ten: { top1: number[]; top5: number[] };
}

function rows(result: Reproduction): Row[] {
  return result.variants.map(({ variant, runs }) => ({
    variant,
    runs,
    centre: { top1: runs.map((r) => r.crops.centre.top1), top5: runs.map((r) => r.crops.centre.top5) },
    ten: { top1: runs.map((r) => r.crops.ten.top1), top5: runs.map((r) => r.crops.ten.top5) },
  }));
}

const cell = (xs: number[]) => (xs.length === 0 ? '–' : xs.length === 1 ? points(xs[0]!) : `${points(mean(xs))} ± ${points(sd(xs))}`);

/** The expected precision of neighbours drawn at random from the training set: the sum of squared class shares. */
function chancePrecision(dataset: Dataset): number {
  const train = dataset.entries('train');
  const counts = new Map<number, number>();
  for (const e of train) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  return [...counts.values()].reduce((s, n) => s + (n / train.length) ** 2, 0);
}

/** How our difference reads against the paper's: same direction or not, and whether it stands out of seed noise. */
function reading(delta: number, noise: number, variant: Variant): string {
  if (variant.paperTop1 === undefined) return delta > 0 ? 'worse without it' : 'not worse without it';
  const direction = delta > 0 ? 'same direction as the paper' : 'opposite direction to the paper';
  return noise > 0 && Math.abs(delta) < 2 * noise ? `${direction}, within seed noise (2 sd = ${points(2 * noise)})` : direction;
}

export function reportMarkdown(result: Reproduction, dataset: Dataset): string {
  const table = rows(result);
  const full = table[0]!;
  const noise = sd(full.centre.top1);
  const lines: string[] = [];
  const d = result.dataset;
  lines.push(`# Reproduction on ${d.name}`, '');
  lines.push(
    `${result.date.slice(0, 10)}, ${result.backend} on ${result.device}, code ${result.codeVersion}. Dataset: ${d.labels.length} classes, ${d.train} training and ${d.test} test images. ` +
      `Preset **${result.preset}**${result.preset === 'quick' ? " (NOT the paper's model: a quarter of the width, 115x115 crops)" : " (the paper's network)"}, recipe ${result.recipe}, ${counted(result.epochs, 'epoch')} at batch ${result.batchSize}; ` +
      `the full model under seeds ${full.runs.map((r) => r.seed).join(', ')}, each variant under seed ${full.runs[0]?.seed}.`,
    '',
  );
  lines.push('## Error by variant (test split, percent)', '');
  lines.push('| variant | section | top-1, centre | top-5, centre | top-1, ten crops | top-5, ten crops | difference in top-1 / top-5 (points, centre) | the paper | reading |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of table) {
    const isFull = row === full;
    const delta1 = mean(row.centre.top1) - mean(full.centre.top1);
    const delta5 = mean(row.centre.top5) - mean(full.centre.top5);
    lines.push(
      `| ${row.variant.label} | ${row.variant.section} | ${cell(row.centre.top1)} | ${cell(row.centre.top5)} | ${cell(row.ten.top1)} | ${cell(row.ten.top5)} | ${isFull ? '–' : `${delta1 >= 0 ? '+' : ''}${points(delta1)} / ${delta5 >= 0 ? '+' : ''}${points(delta5)}`} | ${row.variant.paper} | ${isFull ? `seed sd of top-1: ${points(noise)}` : reading(delta1, noise, row.variant)} |`,
    );
  }
  lines.push('', 'A positive difference means the variant is worse than the full model, as the paper reports for each of these.', '');
  const tenGain = mean(full.centre.top1) - mean(full.ten.top1);
  lines.push('## Ten crops against one (section 4.1)', '', `Ten crops change the full model's top-1 error by ${tenGain >= 0 ? '-' : '+'}${points(Math.abs(tenGain))} points (${cell(full.centre.top1)} centre, ${cell(full.ten.top1)} ten crops).`, '');
  lines.push(...figure3Markdown(result));
  lines.push('', '## Figure 4: neighbours by fc7 against raw pixels', '');
  const chance = chancePrecision(dataset);
  const ks = result.retrieval[0]?.ks ?? [];
  lines.push(`Share of a test image's k nearest training images that have its class (exact Euclidean search; raw pixels at 64x64). Random neighbours would score ${chance.toFixed(3)}.`, '');
  lines.push(`| seed | ${ks.map((k) => `fc7, k = ${k} | pixels, k = ${k}`).join(' | ')} |`, `| --- | ${ks.map(() => '--- | ---').join(' | ')} |`);
  for (const r of result.retrieval) lines.push(`| ${r.seed} | ${r.fc7.map((p, i) => `${p.toFixed(3)} | ${r.pixels[i]!.toFixed(3)}`).join(' | ')} |`);
  const measured = result.retrieval.filter((r) => r.pixelDistance !== undefined);
  if (measured.length > 0) {
    const k = measured[0]!.pixelDistance!.k;
    lines.push('', `How far apart in pixels the neighbours are (the paper: fc7's neighbours are often not close in L2 pixel distance): the mean raw-pixel distance (64x64, 0..255) from a test image to its ${k} nearest training images.`, '');
    lines.push('| seed | found by fc7 | found by pixels | ratio |', '| --- | --- | --- | --- |');
    for (const r of measured) lines.push(`| ${r.seed} | ${r.pixelDistance!.fc7.toFixed(0)} | ${r.pixelDistance!.pixels.toFixed(0)} | ${(r.pixelDistance!.fc7 / r.pixelDistance!.pixels).toFixed(2)} |`);
  }
  lines.push('');
  if (result.crossCheck) lines.push(...crossCheckMarkdown(result.crossCheck));
  return lines.join('\n');
}

/**
 * Figure 3's section: each seed's towers after the last epoch against their own start and the random-kernel range, the
 * split between them with its permutation p-value, and the verdict; reports measured before the baselines show '–'.
 */
export function figure3Markdown(result: Pick<Reproduction, 'towers'>): string[] {
  const lines = ['## Figure 3: the towers of conv1', ''];
  lines.push(`${COLOUR_DEFINITION} ${COLOUR_METHOD} Which tower turns colour-specific may differ by seed, as the paper notes; whether the towers split should not.`, '');
  lines.push('| seed | tower a (at initialisation) | tower b (at initialisation) | random kernels | split, b - a | p | verdict |', '| --- | --- | --- | --- | --- | --- | --- |');
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  for (const t of result.towers) {
    const colour = t.colour;
    if (!colour) {
      const [a, b] = t.history.towers.map((scores) => scores.at(-1) ?? NaN);
      const score = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(3));
      lines.push(`| ${t.seed} | ${score(a)} | ${score(b)} | – | ${a === undefined || b === undefined ? '–' : signed(b - a)} | – | not tested (measured before the baselines) |`);
      continue;
    }
    const tower = (i: number) => {
      const c = colour.towers[i];
      return c ? `${c.score.toFixed(3)} (${c.initialScore === null ? 'unknown' : c.initialScore.toFixed(3)})` : '–';
    };
    const split = colour.split;
    lines.push(`| ${t.seed} | ${tower(0)} | ${tower(1)} | ${formatRandomRange(colour.towers[0]!.random)} | ${split ? signed(split.difference) : '–'} | ${split ? formatP(split.p).replace(/^p (= )?/, '') : '–'} | ${colour.verdict} |`);
  }
  const tested = result.towers.filter((t) => t.colour?.split);
  if (tested.length > 0) {
    const specialised = tested.filter((t) => t.colour!.specialised).length;
    const seeds = tested.length === 1 ? 'the one seed tested' : `${specialised === 0 ? 'any' : specialised} of the ${tested.length} seeds tested`;
    lines.push('', specialised === 0 ? `No specialisation detectable in ${seeds}.` : `Specialised towers in ${seeds}.`);
  }
  return lines;
}

/** The section comparing our full model (and any variant both sides trained) with the independent reference. */
function crossCheckMarkdown(check: CrossCheck): string[] {
  const r = check.reference;
  const ours = check.ours.map((x) => x.top1);
  const theirs = check.theirs.map((x) => x.top1);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const lines = ['## Cross-check against an independent reference', ''];
  lines.push(
    `The same model and recipe trained by ${r.name}${r.version ? ` ${r.version}` : ''} on ${r.device} (${r.date.slice(0, 10)}; bench/reference_train.py, which shares no code with the workbench), on the same data for the same epochs${r.pixels === 'workbench cache' ? ', reading the very pixels the workbench imported' : r.pixels ? ` (its pixels ${r.pixels})` : ''}. ` +
      `Full model, centre-crop top-1 error: ours ${cell(ours)} over seeds ${check.ours.map((x) => x.seed).join(', ')}, the reference's ${cell(theirs)} over seeds ${check.theirs.map((x) => x.seed).join(', ')}. ` +
      `Seed i of one side is paired with seed i of the other (the two sides draw their random numbers from different generators, so a pair shares its seed number and the data, not its draws).`,
    '',
  );
  if (check.pairs.length > 0) {
    lines.push('| seed | top-1, ours | top-1, reference | difference (points) |', '| --- | --- | --- | --- |');
    for (const p of check.pairs) lines.push(`| ${p.seed} | ${points(p.ours)} | ${points(p.theirs)} | ${sign(p.differencePoints)} |`);
    lines.push('');
  }
  const spread = check.interval ? `, standard error ${check.standardErrorPoints.toFixed(1)}, ${Math.round(100 * check.interval.confidence)} % interval ${sign(check.interval.low)} to ${sign(check.interval.high)}` : '';
  lines.push(
    `Mean paired difference ${check.pairs.length > 0 ? `${sign(check.differencePoints)} points` : 'none (no seed on both sides)'}${spread}; tolerance ±${check.tolerancePoints} points.`,
    '',
    `**${check.reading}**`,
    '',
  );
  if (check.variants.length > 1) {
    const full = check.variants.find((v) => v.id === 'full');
    lines.push('| variant | top-1, ours | top-1, reference | difference in top-1 against the full model, ours | the same, reference |', '| --- | --- | --- | --- | --- |');
    for (const v of check.variants) {
      const effect = (a: number, b: number | undefined) => (v.id === 'full' || b === undefined ? '–' : sign(100 * (a - b)));
      lines.push(`| ${v.id} | ${points(v.ours.top1)} | ${points(v.theirs.top1)} | ${effect(v.ours.top1, full?.ours.top1)} | ${effect(v.theirs.top1, full?.theirs.top1)} |`);
    }
    lines.push('', 'Variants other than the full model ran under one seed on each side: their differences carry the seed noise of a single run.', '');
  }
  return lines;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Markdown tables and headings as HTML (only what reportMarkdown writes). */
function markdownToHtml(markdown: string): string {
  const html: string[] = [];
  const inline = (t: string) => escape(t).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  let table: string[][] = [];
  const flush = () => {
    if (table.length === 0) return;
    const [head, , ...body] = table;
    html.push(`<table><thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    table = [];
  };
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      table.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
      continue;
    }
    flush();
    if (line.startsWith('## ')) html.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) html.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.trim() !== '') html.push(`<p>${inline(line)}</p>`);
  }
  flush();
  return html.join('\n');
}

/**
 * The towers' scores over the epochs, one line per tower and seed, from the towers' start (epoch 0) where it is known,
 * over the random-kernel range as a grey band with its mean dashed, as inline SVG.
 */
function towerPlot(result: Reproduction): string {
  const width = 520;
  const height = 220;
  const pad = 36;
  const epochs = Math.max(1, ...result.towers.flatMap((t) => t.history.epochs));
  const x = (e: number) => pad + ((width - 2 * pad) * e) / epochs;
  const y = (s: number) => height - pad - (height - 2 * pad) * s;
  const colours = ['#1f6feb', '#d9480f'];
  const lines = result.towers.flatMap((t) =>
    t.history.towers.map((scores, tower) => {
      const initial = t.colour?.towers[tower]?.initialScore;
      const points: [number, number][] = [...(initial === undefined || initial === null ? [] : [[0, initial] as [number, number]]), ...scores.map((s, i): [number, number] => [t.history.epochs[i]!, s])];
      const d = points.map(([e, s], i) => `${i === 0 ? 'M' : 'L'}${x(e).toFixed(1)},${y(s).toFixed(1)}`).join(' ');
      return `<path d="${d}" fill="none" stroke="${colours[tower] ?? '#555'}" stroke-width="1.5" opacity="0.8"><title>seed ${t.seed}, tower ${'ab'[tower]}</title></path>`;
    }),
  );
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((s) => `<text x="${pad - 6}" y="${y(s) + 4}" text-anchor="end" font-size="10">${s}</text><line x1="${pad}" x2="${width - pad}" y1="${y(s)}" y2="${y(s)}" stroke="#ddd"/>`);
  const random = result.towers.find((t) => t.colour)?.colour?.towers[0]?.random;
  const band = random
    ? `<rect x="${pad}" width="${width - 2 * pad}" y="${y(random.mean + RANDOM_RANGE_SDS * random.sd).toFixed(1)}" height="${(y(random.mean - RANDOM_RANGE_SDS * random.sd) - y(random.mean + RANDOM_RANGE_SDS * random.sd)).toFixed(1)}" fill="#888" opacity="0.2"><title>random kernels: ${formatRandomRange(random)}</title></rect><line x1="${pad}" x2="${width - pad}" y1="${y(random.mean).toFixed(1)}" y2="${y(random.mean).toFixed(1)}" stroke="#555" stroke-dasharray="4 3"/>`
    : '';
  const legend = `epoch (tower a blue, tower b orange; one line per seed${random ? `; grey: random kernels, ${formatRandomRange(random)}` : ''})`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="Colour specificity of each tower after every epoch">${ticks.join('')}${band}${lines.join('')}<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${legend}</text></svg>`;
}

/** Writes report.md and report.html into `out`; returns their paths. */
export async function writeReport(result: Reproduction, dataset: Dataset, log: RunLog, out: string): Promise<{ markdown: string; html: string }> {
  fs.mkdirSync(out, { recursive: true });
  const markdown = reportMarkdown(result, dataset);
  const sections: string[] = [markdownToHtml(markdown)];
  sections.push('<h2>The towers over training (Figure 3)</h2>', towerPlot(result));
  const first = result.towers[0];
  if (first) {
    const snapshot = log.kernelSnapshots(first.runId).at(-1);
    if (snapshot) {
      const shape = snapshot.shape as KernelShape;
      const perTower = shape.reduce((a, b) => a * b, 1);
      const all = new Float32Array(snapshot.data.buffer.slice(snapshot.data.byteOffset, snapshot.data.byteOffset + snapshot.data.byteLength));
      const grids: string[] = [];
      for (let t = 0; t * perTower < all.length; t++) {
        const png = await kernelGridPng(all.subarray(t * perTower, (t + 1) * perTower), shape, { columns: 8, scale: 4 });
        grids.push(`<figure><img src="${pngDataUrl(png)}" alt="conv1 kernels of tower ${'ab'[t]}"><figcaption>tower ${'ab'[t]}</figcaption></figure>`);
      }
      sections.push(`<p>conv1 after epoch ${snapshot.epoch}, seed ${first.seed}:</p><div class="grids">${grids.join('')}</div>`);
    }
  }
  const examples = result.retrieval[0]?.examples ?? [];
  if (examples.length > 0) {
    const train = dataset.entries('train');
    const test = dataset.entries('test');
    const thumb = async (entry: (typeof train)[number]) => `<img src="${await jpegDataUrl(dataset.readRecord(entry.record), 64, 75)}" alt="${escape(entry.path)}" title="${escape(`${dataset.labels[entry.label]}: ${entry.path}`)}">`;
    sections.push('<h2>Retrieval examples (Figure 4)</h2><p>Each row: a test image, its six nearest training images by fc7, then its six nearest by raw pixels.</p>');
    for (const e of examples) {
      const query = await thumb(test[e.query]!);
      const byFeatures = await Promise.all(e.byFeatures.map((i) => thumb(train[i]!)));
      const byPixels = await Promise.all(e.byPixels.map((i) => thumb(train[i]!)));
      sections.push(`<div class="example"><span class="query">${query}</span><span class="set">${byFeatures.join('')}</span><span class="set">${byPixels.join('')}</span></div>`);
    }
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><title>Reproduction on ${escape(result.dataset.name)}</title><style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:13px}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}th{background:#f6f8fa}
.grids{display:flex;gap:1rem}.grids img{image-rendering:pixelated}figure{margin:0}.example{display:flex;gap:1.2rem;margin:.4rem 0}.example img{width:64px;height:64px;margin-right:2px}.query img{outline:2px solid #1f6feb}
</style></head><body>${sections.join('\n')}</body></html>`;
  const markdownFile = path.join(out, 'report.md');
  const htmlFile = path.join(out, 'report.html');
  writeFileAtomically(markdownFile, markdown);
  writeFileAtomically(htmlFile, html);
  // The figures themselves, for the app's list of reports (and for anyone who wants to plot them again).
  writeFileAtomically(path.join(out, RESULT_FILE), JSON.stringify(result, null, 1));
  return { markdown: markdownFile, html: htmlFile };
}
