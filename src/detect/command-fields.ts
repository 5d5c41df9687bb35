// The command-text fields rules can match (cmdPrograms, cmdLines, cmdPaths, cmdIntents, tools):
// a process's argv through the one shell parser (src/shell), the command-text layer and the tool
// catalogue. Results are cached per argv and working directory: a step's shell and the commands it
// starts repeat the same lines.
import { commandText, type CommandText } from '../shell/command-text.js';
import type { ShellParser } from '../shell/shell-parser.js';
import type { ToolCatalogue } from './tool-catalogue.js';

export interface CommandFields extends CommandText {
  /** Catalogue entries the commands name, as `technique id`. */
  readonly tools: readonly string[];
}

/** What the rule engine asks for the derived command fields; absent, those fields are absent. */
export interface CommandContext {
  command(argv: readonly string[], cwd: string | undefined): CommandFields;
  host(host: string): readonly string[];
}

/**
 * Paths that matter, as the command-text layer spells them: a glob on a command line is tested
 * against these (`cat /root/.ss?/id_*` names ~/.ssh/id_rsa). Credentials the rules look for.
 */
export const PROBE_PATHS: readonly string[] = [
  '~/.ssh/id_rsa', '~/.ssh/id_dsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ed25519', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519_sk',
  '~/.aws/credentials', '~/.aws/config', '~/.config/gcloud/application_default_credentials.json', '~/.config/gcloud/credentials.db',
  '~/.kube/config', '~/.azure/accessTokens.json', '~/.docker/config.json', '~/.netrc', '~/.git-credentials', '~/.npmrc', '~/.pypirc',
  '~/.config/gh/hosts.yml', '~/.vault-token', '/etc/shadow', '/etc/gshadow', '/proc/self/environ', '/proc/1/environ',
];

const EMPTY: CommandFields = { programs: [], lines: [], paths: [], intents: [], tools: [] };
const CACHE_SIZE = 512;
/**
 * Only the first 4 KiB of a command line is parsed for detection: the guard's cost per exec stays
 * bounded (tens of milliseconds at worst) whatever an agent pads its command with. What lies beyond
 * is left to the argv rules and to what the infrastructure sees (docs/rules.md, Limits).
 */
const MAX_TEXT = 4 * 1024;

/** The argv cut to its first MAX_TEXT characters. */
function truncate(argv: readonly string[]): string[] {
  const out: string[] = [];
  let left = MAX_TEXT;
  for (const a of argv) {
    if (left <= 0) break;
    out.push(a.slice(0, left));
    left -= a.length + 1;
  }
  return out;
}

export class CommandTextReader implements CommandContext {
  private readonly cache = new Map<string, CommandFields>();

  constructor(
    private readonly parser: ShellParser,
    private readonly catalogue: ToolCatalogue,
  ) {}

  command(argv: readonly string[], cwd: string | undefined): CommandFields {
    if (argv.length === 0) return EMPTY;
    const key = `${cwd ?? ''}\0${argv.join('\0')}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      // most recently used last
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const fields = this.compute(key.length > MAX_TEXT ? truncate(argv) : argv, cwd);
    this.cache.set(key, fields);
    if (this.cache.size > CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return fields;
  }

  private compute(argv: readonly string[], cwd: string | undefined): CommandFields {
    const analysis = this.parser.analyzeArgv(argv);
    const text = commandText(analysis, { probePaths: PROBE_PATHS, ...(cwd !== undefined ? { cwd } : {}) });
    return { ...text, tools: this.catalogue.commands(analysis.commands) };
  }

  host(host: string): readonly string[] {
    return this.catalogue.host(host);
  }
}

/** The parser and the built-in catalogue, ready for a RuleEngine; a broken catalogue is an error, not a quiet gap. */
export async function openCommandContext(): Promise<{ context: CommandTextReader; errors: string[] }> {
  const { ShellParser } = await import('../shell/shell-parser.js');
  const { loadCatalogue } = await import('./tool-catalogue.js');
  const parser = await ShellParser.create();
  const { catalogue, errors } = loadCatalogue();
  return { context: new CommandTextReader(parser, catalogue), errors };
}
