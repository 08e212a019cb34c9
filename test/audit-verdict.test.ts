/** Issue #15.9: the CI audit step fails on a known high or critical advisory, and only warns when the registry is out of reach. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../scripts/audit-verdict.mjs');
const verdict = (input: string) => spawnSync(process.execPath, [SCRIPT], { input, encoding: 'utf8' });
const report = (vulnerabilities: Record<string, { name: string; severity: string }>) =>
  JSON.stringify({
    vulnerabilities,
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 0 } },
  });

describe('scripts/audit-verdict.mjs', () => {
  it('when a production dependency has a high or critical advisory, then the step fails naming it', () => {
    for (const severity of ['high', 'critical']) {
      const r = verdict(report({ qs: { name: 'qs', severity } }));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`qs (${severity})`);
    }
  });

  it('when only moderate or low advisories are known, then the step passes', () => {
    const r = verdict(report({ a: { name: 'a', severity: 'moderate' }, b: { name: 'b', severity: 'low' } }));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no high or critical advisory/);
  });

  it('when the registry does not answer (network error, no audit endpoint, empty output), then only a warning', () => {
    for (const input of [
      JSON.stringify({
        message: 'request to https://registry.npmjs.org failed, reason: getaddrinfo ENOTFOUND',
      }),
      JSON.stringify({
        message: '405 Method Not Allowed - POST .../advisories/bulk',
        error: { summary: '' },
      }),
      '',
    ]) {
      const r = verdict(input);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/^WARNING: dependency audit not done/);
    }
  });
});
