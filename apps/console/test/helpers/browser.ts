import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); Playwright's own download cannot be fetched here. */
const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests are skipped, or undefined when they can run. */
export const noBrowser = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the browser tests`;

/** Where screenshots go (gitignored), kept after the run for people to look at. */
export const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/**
 * Headless Chromium with the flags a closed network and a root user need: no sandbox (root), no
 * background fetches, no QUIC, no GPU. Playwright gives each launch a fresh profile directory.
 */
export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
