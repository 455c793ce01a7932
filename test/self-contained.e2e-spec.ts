import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Users clone the repository alone: no test, script or document may reach a path beside it
 * (issue 14 §1). The sample order file lives in test/fixtures, the design in docs/.
 */
describe('the repository stands on its own', () => {
  // Spelled in two parts so this file does not match itself.
  const outside = ['..', '/shared'].join('');

  it('no tracked file refers to the shared folder beside the clone', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
      .split('\0')
      .filter((f) => f.length > 0 && !f.endsWith('package-lock.json'));
    const offenders = files.filter((file) => {
      try {
        return readFileSync(file, 'utf8').includes(outside);
      } catch {
        return false; // a file deleted in the work tree but still tracked
      }
    });
    expect(offenders).toEqual([]);
  });

  it('the README links the design documents inside the repository', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('(docs/DESIGN.md)');
    expect(readFileSync('docs/DESIGN.md', 'utf8')).toContain('# OrderOps — design');
  });
});
