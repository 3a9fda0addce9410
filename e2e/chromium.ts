// Debian's Chromium for the end-to-end tests, driven by playwright-core (no browser download): where it is, and how
// to start it headless on a machine with a closed network.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `no Chromium at '${CHROMIUM}' (install Debian's chromium, or set CHROMIUM)`;
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without the network flags Chromium keeps trying hosts this machine cannot reach.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', ...extraArgs],
  });
}
