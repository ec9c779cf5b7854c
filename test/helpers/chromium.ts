/**
 * Where Debian's Chromium is (the browser tests drive it with puppeteer-core), or undefined when it is not installed.
 * `.ci/run` installs it when missing, so CI always runs the browser tests; elsewhere they are reported as skipped.
 */
import { existsSync } from "node:fs";

export const CHROMIUM_INSTALL_COMMAND = "sudo apt-get update && sudo apt-get install -y chromium";

/** EVENTLAKE_CHROMIUM names the browser to use (and only that one: a path that does not exist skips the tests). */
export function findChromium(): string | undefined {
  const chosen = process.env.EVENTLAKE_CHROMIUM;
  const candidates = chosen ? [chosen] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((path) => existsSync(path));
}
