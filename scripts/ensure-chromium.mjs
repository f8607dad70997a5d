// The browser tests drive Debian's Chromium; install it when it is missing (tests run as root).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  console.log("Chromium is missing: installing Debian's chromium package for the browser tests…");
  const run = (command) => execSync(command, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    run('apt-get update -qq');
    run('apt-get install -y -qq chromium');
  } catch {
    console.error(`Could not install Chromium (apt-get failed). Install it with: apt-get install -y chromium`);
    process.exit(1);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`apt-get finished but ${CHROMIUM} is still missing.`);
    process.exit(1);
  }
}
