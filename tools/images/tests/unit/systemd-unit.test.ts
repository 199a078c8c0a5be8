import { describe, expect, it } from 'vitest';

import { expandCommand, parseEnvironmentFile, parseServiceUnit } from '../support/systemd-unit.js';

const UNIT = `[Unit]
Description=x
ExecStart=/not/this

[Service]
# a comment
Environment=A=1 "B=two words"
Environment=EMPTY=
ExecStartPre=-/bin/rm -f \${A}
ExecStart=/bin/run --a \${A} \\
  --b=\${B} $EMPTY \\
  %H 100%%
`;

describe('parseServiceUnit / expandCommand', () => {
  it('reads the [Service] section, joins continuations and expands as systemd does', () => {
    const unit = parseServiceUnit(UNIT);
    expect(unit.environment).toEqual({ A: '1', B: 'two words', EMPTY: '' });
    expect(expandCommand(unit.execStartPre[0]!, unit.environment, 'host1')).toEqual({
      argv: ['/bin/rm', '-f', '1'],
      ignoreFailure: true,
    });
    expect(expandCommand(unit.execStart, { ...unit.environment, EMPTY: '--x  --y' }, 'host1').argv).toEqual([
      '/bin/run',
      '--a',
      '1',
      '--b=two words',
      '--x',
      '--y',
      'host1',
      '100%',
    ]);
    expect(expandCommand(unit.execStart, unit.environment, 'h').argv).not.toContain('');
  });

  it('refuses unset variables and specifiers it does not know', () => {
    expect(() => expandCommand('/bin/x ${NOPE}', {}, 'h')).toThrow('$NOPE');
    expect(() => expandCommand('/bin/x %i', {}, 'h')).toThrow('%i');
  });

  it('reads environment files', () => {
    expect(parseEnvironmentFile('# c\nA=1\nB="x y"\n\n')).toEqual({ A: '1', B: 'x y' });
    expect(() => parseEnvironmentFile('not an assignment')).toThrow('not an environment assignment');
  });
});
