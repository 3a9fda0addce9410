// The user's journey through the workbench UI, the same for the browser host and the desktop app: import through the
// UI, train a quick run to completion with live curves, look at the kernels, look up an image, open the confusion
// matrix and a cell's images, find the run in the history after a reload, and see a bad folder's report.
// Screenshots of each view are written to `shots` (kept as test artifacts).
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';

export interface JourneyFolders {
  /** A good dataset folder: 6 classes with train/ and test/. */
  good: string;
  /** A folder of class folders where some files are broken (the import report lists them). */
  damaged: string;
  /** The names of the broken files inside `damaged`, with the reason each must be reported under. */
  broken: { name: string; reason: string }[];
  /** The two files inside `damaged` that are the same photo in two classes. */
  conflict: { path: string; className: string }[];
  /** A folder with no class folders at all. */
  noClasses: string;
  /** A photo to drop into Look-up. */
  photo: string;
}

/** The mean absolute deviation of an image's pixels, drawn on a canvas: 0 for a blank image. */
async function pixelSpread(image: Locator): Promise<number> {
  return image.evaluate(async (element) => {
    const img = element as HTMLImageElement;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i]! + data[i + 1]! + data[i + 2]!;
    const mean = sum / (data.length / 4) / 3;
    let spread = 0;
    for (let i = 0; i < data.length; i += 4) spread += Math.abs(data[i]! - mean) + Math.abs(data[i + 1]! - mean) + Math.abs(data[i + 2]! - mean);
    return spread / (data.length / 4) / 3;
  });
}

async function shot(page: Page, shots: string, name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const byTestId = (page: Page, id: string) => page.getByTestId(id);

async function importFolder(page: Page, folder: string): Promise<void> {
  await byTestId(page, 'nav-datasets').click();
  await byTestId(page, 'import-folder').fill(folder);
  await byTestId(page, 'import-start').click();
}

/** Runs the whole journey; throws (with Playwright's message) at the first step that does not do what it should. */
export async function userJourney(page: Page, folders: JourneyFolders, shots: string): Promise<{ runId: string }> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  // The header names the version (the package's, with the commit in a checkout), read by the host's bundle too.
  await expect(page.locator('header .brand')).toHaveText(/^AlexNet Workbench \d+\.\d+\.\d+(\+[0-9a-f]+)?$/);
  // Datasets: import through the UI, with progress; class counts as bars; thumbnails of real photos.
  await importFolder(page, folders.good);
  const item = byTestId(page, 'dataset-item').filter({ hasText: path.basename(folders.good) });
  await expect(item).toBeVisible({ timeout: 60_000 });
  await item.click();
  await expect(byTestId(page, 'class-chart').getByTestId('class-bar')).toHaveCount(6);
  const thumbnails = byTestId(page, 'thumbnail-grid').getByTestId('thumbnail');
  await expect(thumbnails.first()).toBeVisible({ timeout: 30_000 });
  expect(await pixelSpread(thumbnails.first())).toBeGreaterThan(5);
  await shot(page, shots, '1-datasets');

  // A damaged folder: imported, with every broken file listed with its reason.
  await importFolder(page, folders.damaged);
  const damaged = byTestId(page, 'dataset-item').filter({ hasText: path.basename(folders.damaged) });
  await expect(damaged).toBeVisible({ timeout: 60_000 });
  await damaged.click();
  const report = byTestId(page, 'import-report');
  for (const broken of folders.broken) await expect(report.getByTestId('skipped-file').filter({ hasText: broken.name })).toContainText(broken.reason);
  await shot(page, shots, '2-import-report');

  // The photo filed in two classes: flagged with both thumbnails; one opens larger with its class; both are left out.
  const conflicts = report.getByTestId('label-conflicts');
  await expect(conflicts.getByTestId('duplicate-group')).toHaveCount(1);
  await expect(conflicts.getByRole('img')).toHaveCount(2, { timeout: 30_000 });
  await expect(report.getByTestId('dataset-warnings')).toContainText('1 picture is in more than one class');
  await conflicts.getByRole('button', { name: `Open ${folders.conflict[1]!.path}` }).click();
  const viewer = byTestId(page, 'image-viewer');
  await expect(viewer.getByTestId('image-viewer-class')).toHaveText(folders.conflict[1]!.className);
  await expect(viewer.getByTestId('image-viewer-image')).toBeVisible();
  expect(await pixelSpread(viewer.getByTestId('image-viewer-image'))).toBeGreaterThan(5);
  await shot(page, shots, '2-image-viewer');
  await byTestId(page, 'image-viewer-close').click();
  await expect(viewer).toBeHidden();
  await byTestId(page, 'leave-out-conflicts').click();
  await expect(report.getByTestId('excluded-files')).toContainText('Left out at your request: 2 files', { timeout: 60_000 });
  await expect(report.getByTestId('label-conflicts')).toHaveCount(0);
  await expect(page.getByText(/^\d+ images$/)).toHaveText(`${await damaged.evaluate((e) => /\((\d+) train/.exec(e.textContent ?? '')?.[1])} images`);
  // A grid thumbnail opens too.
  await byTestId(page, 'dataset-thumbnail').first().click();
  await expect(viewer.getByTestId('image-viewer-image')).toBeVisible();
  await byTestId(page, 'image-viewer-close').click();
  // Renamed, then deleted (no run uses it): the list no longer has it, the folder is untouched.
  await byTestId(page, 'rename-dataset').click();
  await byTestId(page, 'dataset-name').fill('Damaged copy');
  await byTestId(page, 'rename-save').click();
  await expect(damaged.locator('.name')).toHaveText('Damaged copy');
  await shot(page, shots, '2-dataset-left-out');
  await byTestId(page, 'delete-dataset').click();
  await byTestId(page, 'delete-dataset-confirm').getByTestId('confirm-yes').click();
  await expect(damaged).toHaveCount(0);
  expect(fs.existsSync(path.join(folders.damaged, folders.conflict[1]!.path))).toBe(true);

  // A folder with no classes: the import fails, and says why in words.
  await importFolder(page, folders.noClasses);
  await expect(byTestId(page, 'import-error')).toContainText('No images were found', { timeout: 30_000 });
  await shot(page, shots, '3-import-error');

  // Train: the quick preset, 2 epochs, live curves, to completion.
  // The next step from a dataset: "Train on this dataset" opens the Train view with it chosen.
  await byTestId(page, 'nav-datasets').click();
  await item.click();
  await byTestId(page, 'train-on-dataset').click();
  await expect(byTestId(page, 'train-dataset').locator('option:checked')).toContainText(`${path.basename(folders.good)} (`);
  // Without a GPU the form opens on the quick preset; the paper's model comes with a warning, and a question on Start.
  await expect(byTestId(page, 'train-preset')).toHaveValue('quick');
  await expect(byTestId(page, 'train-paper-warning')).toHaveCount(0);
  await byTestId(page, 'train-preset').selectOption('paper');
  await expect(byTestId(page, 'train-paper-warning')).toContainText("The paper's model on CPU");
  await byTestId(page, 'train-start').click();
  await expect(byTestId(page, 'train-paper-confirm')).toBeVisible();
  await byTestId(page, 'train-paper-confirm').getByTestId('confirm-no').click();
  await expect(byTestId(page, 'train-paper-confirm')).toBeHidden();
  await byTestId(page, 'train-preset').selectOption('quick');
  await expect(byTestId(page, 'train-paper-warning')).toHaveCount(0);
  // A value out of range is flagged at its own field (which gets the focus), and the flag goes once it is fixed.
  await byTestId(page, 'train-epochs').fill('0');
  await byTestId(page, 'train-start').click();
  await expect(byTestId(page, 'train-epochs-error')).toHaveText('Epochs 0 is not allowed; use a whole number from 1 to 10,000.');
  await expect(byTestId(page, 'train-epochs')).toBeFocused();
  await expect(byTestId(page, 'train-epochs')).toHaveAttribute('aria-invalid', 'true');
  await byTestId(page, 'train-epochs').fill('2');
  await expect(byTestId(page, 'train-epochs-error')).toHaveCount(0);
  await byTestId(page, 'train-batch-size').fill('6');
  // Time per epoch and memory before starting, measured by a few steps on the backend in use.
  await byTestId(page, 'train-estimate').click();
  const estimate = byTestId(page, 'train-estimate-result');
  await expect(estimate).toContainText(/About [\w ]+ per epoch \(\d+ steps of 6 images at [\d.]+ images\/s, then [\w ]+ evaluating \d+ test images\);\s+2 epochs: /, { timeout: 120_000 });
  await expect(estimate).toContainText(/Memory: about [\d.]+ MiB of tensors at a step's peak/);
  await expect(estimate).toContainText(/over \d+ steps of 6 random images/);
  await shot(page, shots, '4-train-estimate');
  await byTestId(page, 'train-start').click();
  await expect(byTestId(page, 'train-status')).toContainText(/running|completed/, { timeout: 60_000 });
  await expect(byTestId(page, 'chart-loss').getByTestId('series').first()).toHaveAttribute('d', /L/, { timeout: 60_000 });
  await expect(byTestId(page, 'train-status')).toContainText('completed', { timeout: 300_000 });
  for (const chart of ['chart-loss', 'chart-top1', 'chart-top5']) await expect(byTestId(page, chart).getByTestId('series').first()).toHaveAttribute('d', /\d/);
  // TensorBoard's smoothing of the per-step loss (the raw steps stay, faint), axis titles, and a log scale for the loss.
  const loss = byTestId(page, 'chart-loss');
  await expect(loss.locator('[data-testid="series"][data-label^="Loss per step (smoothed"]')).toHaveCount(1);
  await expect(loss.getByTestId('y-label')).toHaveText('cross-entropy');
  await byTestId(page, 'curves-log-loss').check();
  await expect(loss.getByTestId('y-label')).toHaveText('cross-entropy (log scale)');
  await expect(loss.getByTestId('series').first()).toHaveAttribute('d', /L/);
  // Hovering a chart reads every series out at the pointer's step.
  await loss.locator('svg').hover();
  await expect(loss.getByTestId('hover-at')).toHaveText(/^step \d+ \(epoch [\d.]+\)$/);
  await shot(page, shots, '4-train');
  await byTestId(page, 'curves-log-loss').uncheck();
  await byTestId(page, 'curves-smoothing').fill('0');
  await expect(loss.locator('[data-testid="series"][data-label^="Loss per step (smoothed"]')).toHaveCount(0);

  // A second run, steered from the Train view: pause, resume, divide the learning rate, stop (with a checkpoint).
  await byTestId(page, 'train-epochs').fill('3');
  await byTestId(page, 'train-seed').fill('2');
  await byTestId(page, 'ablation-noLrn').check();
  await byTestId(page, 'train-start').click();
  await expect(byTestId(page, 'train-status')).toContainText('running', { timeout: 60_000 });
  await expect(byTestId(page, 'train-progress')).toContainText(/step [1-9]/, { timeout: 60_000 });
  await byTestId(page, 'train-pause').click();
  await expect(byTestId(page, 'train-status')).toContainText('paused', { timeout: 30_000 });
  // A third run waits in the queue behind it, shown as queued, and is taken off it with Cancel.
  await byTestId(page, 'train-seed').fill('5');
  await byTestId(page, 'train-start').click();
  const queued = byTestId(page, 'queued-run');
  await expect(queued).toHaveCount(1, { timeout: 30_000 });
  await expect(queued).toContainText('starts when the run training now ends');
  await expect(queued).toContainText('quick small-data seed 5');
  const cancelledId = (await queued.getAttribute('data-run-id'))!;
  await shot(page, shots, '4-train-queued');
  await queued.getByTestId('queued-cancel').click();
  await expect(queued).toHaveCount(0, { timeout: 30_000 });
  await byTestId(page, 'train-seed').fill('2');
  await byTestId(page, 'train-divide-lr').click();
  await byTestId(page, 'train-resume').click();
  await expect(byTestId(page, 'train-status')).toContainText('running', { timeout: 30_000 });
  await byTestId(page, 'train-stop').click();
  await expect(byTestId(page, 'train-status')).toContainText('stopped', { timeout: 60_000 });
  // The same settings as a cluster job for PyTorch DDP: the folder on the host and the torchrun command to run there.
  await byTestId(page, 'train-cluster-job').click();
  const written = byTestId(page, 'cluster-job-written');
  await expect(written).toContainText('torchrun --standalone --nproc_per_node=2', { timeout: 60_000 });
  const jobFolder = (await written.locator('code').first().textContent())!;
  expect(jobFolder).toMatch(/[\\/]jobs[\\/]job-\d{8}T\d{6}-[0-9a-f]{6}$/);

  // One division by hand: one marker on each chart, where the trainer made it, in the run log's words; the same after a reload.
  const dropMarkers = byTestId(page, 'chart-loss').getByTestId('lr-drop');
  await expect(dropMarkers).toHaveCount(1);
  await expect(dropMarkers.locator('title')).toContainText(/^Learning rate divided by 10, from 0\.001 to 0\.0001, after step \d+ \(epoch [\d.]+\): by hand\.$/);
  const dropLabel = await dropMarkers.locator('title').textContent();
  // The per-step loss: live it has the steps the page was sent (a few a second); after a reload, every step the run log has.
  const stepSeries = byTestId(page, 'chart-loss').locator('[data-testid="series"][data-label="Loss per step"]');
  const points = async () => ((await stepSeries.getAttribute('d')) ?? '').split(/[ML]/).filter((p) => p.trim() !== '').length;
  const livePoints = await points();
  await page.reload();
  await expect(dropMarkers).toHaveCount(1, { timeout: 30_000 });
  await expect(dropMarkers.locator('title')).toHaveText(dropLabel!);
  await expect(stepSeries).toHaveAttribute('d', /L/);
  expect(await points()).toBeGreaterThanOrEqual(Math.max(2, livePoints));
  // The form kept what was typed across the reload: the dataset, the preset, the epochs of the second run.
  await expect(byTestId(page, 'train-epochs')).toHaveValue('3');
  await expect(byTestId(page, 'train-preset')).toHaveValue('quick');
  await expect(byTestId(page, 'train-dataset').locator('option:checked')).toContainText(`${path.basename(folders.good)} (`);

  // Runs: both runs are in the history after the reload; compared, the stopped one resumed to completion, then deleted.
  await byTestId(page, 'nav-runs').click();
  const rows = byTestId(page, 'runs-table').getByTestId('run-row');
  await expect(rows).toHaveCount(3, { timeout: 30_000 });
  const completed = page.locator('[data-testid="run-row"][data-status="completed"]');
  const runId = (await completed.first().getAttribute('data-run-id'))!;
  expect(runId).toMatch(/^run-/);
  // The run taken off the queue is in the history too, stopped before its first step.
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${cancelledId}"]`)).toHaveAttribute('data-status', 'stopped');
  const stopped = page.locator(`[data-testid="run-row"][data-status="stopped"]:not([data-run-id="${cancelledId}"])`);
  const stoppedId = (await stopped.getAttribute('data-run-id'))!;
  for (const select of await rows.getByTestId('run-select').all()) await select.check();
  await expect(byTestId(page, 'runs-overlay').getByTestId('series').first()).toHaveAttribute('d', /\d/);
  const differences = byTestId(page, 'runs-diff');
  for (const key of ['seed', 'model.lrn', 'recipe.epochs']) await expect(differences.locator(`[data-key="${key}"]`)).toBeVisible();
  await expect(differences.locator('[data-key="model.towers"]')).toHaveCount(0);
  await shot(page, shots, '5-runs');
  // At 1024 px wide every row's actions are on screen without scrolling sideways.
  const wide = page.viewportSize()!;
  await page.setViewportSize({ width: 1024, height: wide.height });
  for (const action of ['run-resume', 'run-export', 'run-delete']) {
    for (const button of await rows.getByTestId(action).all()) await expect(button).toBeInViewport({ ratio: 1 });
  }
  await shot(page, shots, '5-runs-1024');
  await page.setViewportSize(wide);

  // Importing that job before it has been trained: refused, saying so.
  await byTestId(page, 'import-job-folder').fill(jobFolder);
  await byTestId(page, 'import-job').click();
  await expect(page.locator('form[aria-labelledby="import-job-title"]').getByTestId('error')).toContainText('has not finished: run/model.json is missing');
  // Each run's dataset by name.
  await expect(rows.getByTestId('run-dataset').first()).toHaveText(path.basename(folders.good));
  await stopped.getByTestId('run-resume').click();
  // While it trains it cannot be deleted.
  const resumedRow = page.locator(`[data-testid="run-row"][data-run-id="${stoppedId}"]`);
  await expect(resumedRow).toHaveAttribute('data-status', /running|queued/, { timeout: 60_000 });
  await expect(resumedRow.getByTestId('run-delete')).toBeDisabled();
  await expect(resumedRow).toHaveAttribute('data-status', 'completed', { timeout: 300_000 });
  // Export the completed run: the page says where on the host its ONNX model and TensorFlow.js weights went.
  await completed.first().getByTestId('run-export').click();
  const exported = page.getByRole('status').filter({ hasText: 'model.onnx' });
  await expect(exported).toBeVisible({ timeout: 60_000 });
  // The browser downloads each file from the host, byte for byte what the host wrote.
  const exportFolder = /^Exported to (.+) on the host:/.exec((await exported.textContent())!)![1]!;
  const links = page.getByTestId('downloads').getByTestId('download');
  await expect(links).toHaveText(['Download model.onnx', 'Download model.json', 'Download weights.bin']);
  const [onnxDownload] = await Promise.all([page.waitForEvent('download'), links.first().click()]);
  expect(onnxDownload.suggestedFilename()).toBe('model.onnx');
  expect(fs.readFileSync(await onnxDownload.path()).equals(fs.readFileSync(path.join(exportFolder, 'model.onnx')))).toBe(true);
  const [weightsDownload] = await Promise.all([page.waitForEvent('download'), links.nth(2).click()]);
  expect(fs.readFileSync(await weightsDownload.path()).equals(fs.readFileSync(path.join(exportFolder, 'tfjs', 'weights.bin')))).toBe(true);
  // The completed run's detail: its settings, a row per epoch (and the same as CSV), which checkpoint figures use.
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).getByTestId('run-open').click();
  const detail = byTestId(page, 'run-detail');
  await expect(detail.getByTestId('run-settings')).toContainText('Optimiser');
  await expect(detail.getByTestId('run-settings')).toContainText('Ablations');
  await expect(detail.getByTestId('epoch-row')).toHaveCount(2);
  await expect(detail.getByTestId('run-provenance')).toContainText(/Best test top-1 error [\d.]+% at epoch [12] .* the newest checkpoint, after epoch 2/);
  const [download] = await Promise.all([page.waitForEvent('download'), detail.getByTestId('download-epochs-csv').click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('epoch,trainLoss,trainTop1Error,trainTop5Error,validationLoss,validationTop1Error,validationTop5Error,learningRate,seconds');
  expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(['1', '2']);
  await shot(page, shots, '5-run-detail');
  await page.locator(`[data-testid="run-row"][data-run-id="${stoppedId}"]`).getByTestId('run-delete').click();
  await byTestId(page, 'confirm-delete').getByTestId('confirm-yes').click();
  await expect(rows).toHaveCount(2);
  await page.locator(`[data-testid="run-row"][data-run-id="${cancelledId}"]`).getByTestId('run-delete').click();
  await byTestId(page, 'confirm-delete').getByTestId('confirm-yes').click();
  await expect(rows).toHaveCount(1);
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toBeVisible();

  // Kernels: both towers' grids render (not blank), with their scores; hovering a kernel reads its score.
  await byTestId(page, 'nav-kernels').click();
  await byTestId(page, 'kernels-run').selectOption(runId);
  const grids = byTestId(page, 'kernel-grid');
  await expect(grids).toHaveCount(2, { timeout: 30_000 });
  for (const grid of await grids.all()) expect(await pixelSpread(grid)).toBeGreaterThan(5);
  await expect(byTestId(page, 'tower-score')).toHaveCount(2);
  // Figure 3 read against its baselines: a scale per tower with the random-kernel range, a verdict, the definition.
  await expect(byTestId(page, 'colour-scale')).toHaveCount(2);
  await expect(byTestId(page, 'colour-reference').first()).toContainText(/(below|within|above) the random-kernel range \(0\.669 ± 0\.0\d\d\); 0\.\d{3} at initialisation/);
  await expect(byTestId(page, 'colour-verdict')).toContainText(/Figure 3, after epoch \d+: (no specialisation detectable|tower [ab] is more colour-specific than tower [ab]): the towers differ by \d\.\d{3} \(p [<=] [\d.]+, permutation test\)/);
  await expect(byTestId(page, 'colour-definition')).toContainText('about 2/3 for random kernels');
  await grids.first().hover({ position: { x: 10, y: 10 } });
  await expect(byTestId(page, 'kernel-score')).toContainText(/\d\.\d/);
  await expect(byTestId(page, 'kernel-outline')).toBeVisible();
  // Clicked, the kernel zooms, with its score; sorted by score, the first cell shows the tower's highest.
  await grids.first().click({ position: { x: 10, y: 10 } });
  await expect(byTestId(page, 'kernel-zoom')).toContainText(/Tower A, kernel 1/);
  // The zoomed kernel is drawn: its canvas is not one flat colour.
  const zoomSpread = await byTestId(page, 'kernel-zoom-canvas').evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let low = 255;
    let high = 0;
    for (let i = 0; i < data.length; i += 4) {
      low = Math.min(low, data[i]!);
      high = Math.max(high, data[i]!);
    }
    return high - low;
  });
  expect(zoomSpread).toBeGreaterThan(5);
  await byTestId(page, 'kernels-sort').check();
  await expect(grids.first()).toHaveAttribute('data-sorted', 'true');
  await grids.first().click({ position: { x: 10, y: 10 } });
  await expect(byTestId(page, 'kernel-zoom-score')).toContainText(/rank 1 of \d+ in its tower/);
  // The towers' scores over the epochs, from their initialisation.
  await expect(byTestId(page, 'kernels-history').getByTestId('series')).toHaveCount(3);
  await shot(page, shots, '6-kernels');

  // Look-up: a test image's top-5 and its six nearest training images by fc7 and by pixels; then a dropped file.
  await byTestId(page, 'nav-lookup').click();
  await byTestId(page, 'lookup-run').selectOption(runId);
  await byTestId(page, 'lookup-test-image').first().click({ timeout: 30_000 });
  await expect(byTestId(page, 'prediction')).toHaveCount(5, { timeout: 60_000 });
  await expect(byTestId(page, 'neighbour-feature')).toHaveCount(6);
  await expect(byTestId(page, 'neighbour-pixel')).toHaveCount(6);
  await expect(byTestId(page, 'prediction').first()).toContainText('%');
  // The test image's own class is marked among the predictions (or said to be missing from them).
  await expect(byTestId(page, 'true-label').or(byTestId(page, 'true-label-missing'))).toHaveCount(1);
  // A neighbour opens larger, with its class.
  const neighbour = byTestId(page, 'neighbour-feature').first();
  const neighbourClass = await neighbour.locator('.label').textContent();
  await neighbour.getByRole('button').click();
  await expect(byTestId(page, 'image-viewer').getByTestId('image-viewer-class')).toHaveText(neighbourClass!);
  await byTestId(page, 'image-viewer-close').click();
  // The quick preset's fc7 is 256 wide: the page says so, not the paper's 4,096.
  await expect(byTestId(page, 'feature-space')).toContainText('between the 256 activations of this model');
  await byTestId(page, 'lookup-file').setInputFiles(folders.photo);
  await expect(byTestId(page, 'lookup-query')).toBeVisible({ timeout: 60_000 });
  await expect(byTestId(page, 'prediction')).toHaveCount(5);
  await shot(page, shots, '7-lookup');
  // A file that is no image: its error, and the previous answer gone (it was another image's).
  const notAnImage = path.join(path.dirname(shots), 'not-an-image.jpg');
  fs.writeFileSync(notAnImage, 'these bytes are no JPEG');
  await byTestId(page, 'lookup-file').setInputFiles(notAnImage);
  await expect(page.locator('[role="alert"]').filter({ hasText: 'not-an-image.jpg' })).toBeVisible({ timeout: 30_000 });
  await expect(byTestId(page, 'lookup-query')).toHaveCount(0);
  await expect(byTestId(page, 'prediction')).toHaveCount(0);

  // Confusion: the matrix renders; a cell with images lists exactly them, and one opens in Look-up.
  await byTestId(page, 'nav-confusion').click();
  await byTestId(page, 'confusion-run').selectOption(runId);
  const cells = byTestId(page, 'confusion-matrix').getByTestId('confusion-cell');
  await expect(cells).toHaveCount(36, { timeout: 120_000 });
  await expect(byTestId(page, 'confusion-checkpoint')).toHaveText('the checkpoint after epoch 2');
  const counts = await cells.evaluateAll((elements) => elements.map((e) => Number(e.getAttribute('data-count'))));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
  const full = counts.findIndex((n) => n > 0);
  await cells.nth(full).click();
  await expect(byTestId(page, 'cell-image')).toHaveCount(counts[full]!, { timeout: 30_000 });
  // Precision under each column: its diagonal cell over the column's sum, from the cells' own counts.
  const precision = Array.from({ length: 6 }, (_, j) => {
    const column = [0, 1, 2, 3, 4, 5].reduce((sum, i) => sum + counts[i * 6 + j]!, 0);
    return column === 0 ? '–' : `${((counts[j * 6 + j]! / column) * 100).toFixed(1)}%`;
  });
  await expect(byTestId(page, 'class-precision')).toHaveText(precision);
  await expect(byTestId(page, 'confusion-legend')).toBeVisible();
  await byTestId(page, 'confusion-normalise').check();
  const row = Math.floor(full / 6);
  const rowTotal = counts.slice(row * 6, row * 6 + 6).reduce((a, b) => a + b, 0);
  await expect(cells.nth(full)).toHaveText(`${Math.round((counts[full]! / rowTotal) * 100)}%`);
  await shot(page, shots, '8-confusion');
  await byTestId(page, 'cell-image').first().getByTestId('cell-open').click();
  await expect(byTestId(page, 'prediction')).toHaveCount(5, { timeout: 60_000 });
  // Ten crops beside the centre crop, for the same checkpoint.
  await byTestId(page, 'nav-confusion').click();
  await byTestId(page, 'confusion-crops').selectOption('ten');
  await expect(byTestId(page, 'confusion-both')).toContainText(/centre crop [\d.]+%, ten crops [\d.]+% top-1 \([+-]?[\d.]+ points with ten crops\)/, { timeout: 120_000 });

  expect(errors).toEqual([]);
  return { runId };
}
