/**
 * Just enough of systemd's unit syntax to run a unit's commands in a test the way systemd would:
 * `\` continuations, `Environment=` assignments (quoted or not), `${VAR}` as one word, `$VAR` split
 * on whitespace, the `%H` and `%%` specifiers and the `-` prefix (failure ignored). Other syntax is
 * refused rather than misread.
 */
export interface UnitCommand {
  argv: string[];
  ignoreFailure: boolean;
}

export interface ServiceUnit {
  environment: Record<string, string>;
  execStartPre: string[];
  execStart: string;
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = current ? raw.trim() : raw.trimEnd();
    if (!current && (line.startsWith('#') || line.startsWith(';'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trimEnd()} `;
      continue;
    }
    lines.push(current + line);
    current = '';
  }
  if (current) lines.push(current);
  return lines;
}

/** Splits on whitespace, honouring double and single quotes. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

function expandSpecifiers(text: string, hostname: string): string {
  return text.replace(/%(.)/g, (_, letter: string) => {
    if (letter === '%') return '%';
    if (letter === 'H') return hostname;
    throw new Error(`unit specifier %${letter} is not supported here`);
  });
}

/** Reads the [Service] section of a unit file. */
export function parseServiceUnit(text: string): ServiceUnit {
  let section = '';
  const unit: ServiceUnit = { environment: {}, execStartPre: [], execStart: '' };
  for (const line of logicalLines(text)) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'Service' || !line.trim()) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'Environment') {
      for (const assignment of splitWords(value)) {
        const at = assignment.indexOf('=');
        unit.environment[assignment.slice(0, at)] = assignment.slice(at + 1);
      }
    } else if (key === 'ExecStartPre') unit.execStartPre.push(value);
    else if (key === 'ExecStart') unit.execStart = value;
  }
  if (!unit.execStart) throw new Error('the unit has no ExecStart=');
  return unit;
}

/** A command line as systemd runs it with `environment` (the unit's, then an EnvironmentFile's, merged). */
export function expandCommand(
  line: string,
  environment: Record<string, string>,
  hostname: string,
): UnitCommand {
  const ignoreFailure = line.startsWith('-');
  const words = splitWords(ignoreFailure ? line.slice(1) : line);
  const lookup = (name: string): string => {
    const value = environment[name];
    if (value === undefined) throw new Error(`the unit uses $${name}, which is not set`);
    return expandSpecifiers(value, hostname);
  };
  const argv: string[] = [];
  for (const word of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      // $VAR alone: split into words, none when empty.
      argv.push(...lookup(whole[1]!).split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(
      expandSpecifiers(word, hostname).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) =>
        lookup(name),
      ),
    );
  }
  return { argv, ignoreFailure };
}

/** An `EnvironmentFile=`: KEY=VALUE lines, `#` comments, values optionally quoted. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an environment assignment: ${line}`);
    environment[match[1]!] = match[2]!.replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return environment;
}
