// Which Chromium the tests, the benchmark and the CLI launch, in one place:
// env CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own Chromium (undefined path).
import { existsSync } from 'node:fs';

export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined; // Playwright's bundled Chromium (npx playwright install chromium)
}

// --enable-unsafe-webgpu is what gives a WebGPU adapter headless on Linux; the others keep Chromium
// quiet on a machine without a network. --no-sandbox is needed when running as root (CI).
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--enable-features=Vulkan',
  '--ignore-gpu-blocklist',
];

export function launchOptions() {
  const executablePath = chromiumPath();
  return { ...(executablePath ? { executablePath } : {}), args: chromiumArgs };
}
