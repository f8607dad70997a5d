import { parseArgs } from 'node:util';
import { createVerifiedUser, type OperatorContext, operatorResetLink, operatorVerify } from '../accounts/provisioning.js';
import { iso } from '../clock.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../errors.js';
import { Random } from '../secrets.js';
import { migrate, openStore, type Store } from '../store/database.js';

const USAGE = `Usage: tessera <command> [options]

Commands:
  create-user --email E --name N [--org-admin ORG_NAME]
                 Create a verified account and print a one-time link (24 h) that sets its password.
                 With --org-admin the user becomes admin of that organization, created if missing.
  reset-link --email E
                 Print a one-time link (24 h) that sets a new password for the account.
  verify --email E
                 Mark the account's e-mail address as verified.
  migrate        Bring the database schema up to date.

The command reads the same environment as the server (DATABASE_URL, DATA_DIR, PUBLIC_URL, …).
Exit codes: 0 done, 1 refused (unknown account, address taken, …), 2 bad arguments or configuration.`;

/** Exit code 2: the command line or the environment is wrong, before anything was touched. */
class UsageError extends Error {}

interface Output {
  out(line: string): void;
  err(line: string): void;
}

const COMMANDS: Record<string, { options: Record<string, { type: 'string' }>; required: string[] }> = {
  'create-user': {
    options: { email: { type: 'string' }, name: { type: 'string' }, 'org-admin': { type: 'string' } },
    required: ['email', 'name'],
  },
  'reset-link': { options: { email: { type: 'string' } }, required: ['email'] },
  verify: { options: { email: { type: 'string' } }, required: ['email'] },
  migrate: { options: {}, required: [] },
};

function parseCommand(argv: string[]): { command: string; values: Record<string, string | undefined> } {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('Say which command to run.');
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`Unknown command "${command}".`);
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: rest, options: spec.options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const missing = spec.required.filter((name) => !values[name]?.trim());
  if (missing.length > 0) throw new UsageError(`${command} needs ${missing.map((m) => `--${m}`).join(' and ')}.`);
  return { command, values };
}

async function run(command: string, values: Record<string, string | undefined>, ctx: OperatorContext, store: Store, io: Output) {
  await migrate(store);
  switch (command) {
    case 'migrate':
      io.out('The database is up to date.');
      return;
    case 'create-user': {
      const created = await createVerifiedUser(ctx, { email: values.email!, name: values.name!, orgAdmin: values['org-admin'] });
      io.out(`Created ${created.user.email} (${created.user.id}), e-mail verified.`);
      if (created.org) io.out(`Admin of ${created.org.name} (${created.org.id})${created.org.created ? ', a new organization' : ''}.`);
      io.out(`Password link, valid once until ${iso(created.expiresAt)}:`);
      io.out(created.link);
      return;
    }
    case 'reset-link': {
      const { user, link, expiresAt } = await operatorResetLink(ctx, values.email!);
      io.out(`Password link for ${user.email}, valid once until ${iso(expiresAt)}:`);
      io.out(link);
      return;
    }
    case 'verify': {
      const user = await operatorVerify(ctx, values.email!);
      io.out(`${user.email} is verified.`);
      return;
    }
  }
}

/** Runs one command; returns the process exit code. Secrets other than the printed link never reach the output. */
async function tessera(argv: string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(USAGE);
    return 0;
  }
  let parsed: ReturnType<typeof parseCommand>;
  let config: Config;
  try {
    parsed = parseCommand(argv);
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) throw error;
    io.err(`tessera: ${error.message}`);
    if (error instanceof UsageError) io.err(`\n${USAGE}`);
    return 2;
  }
  const store = await openStore(config.database);
  try {
    await run(
      parsed.command,
      parsed.values,
      { db: store.db, clock: { now: () => Date.now() }, random: new Random(), publicUrl: config.publicUrl },
      store,
      io,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    io.err(`tessera: ${error.message}`);
    return 1;
  } finally {
    await store.close();
  }
}

const io: Output = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
tessera(process.argv.slice(2), process.env, io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Driver messages can name hosts and paths; that is fine for the operator at the console.
    io.err(`tessera: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
