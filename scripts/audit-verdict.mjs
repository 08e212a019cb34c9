// Reads `npm audit --json` on stdin; prints a verdict. Exit 1 only for a known high or critical advisory.
import fs from 'node:fs';
import process from 'node:process';
/* global console */

const text = fs.readFileSync(0, 'utf8');
let report;
try {
  report = JSON.parse(text);
} catch {
  report = null;
}
const counts = report && report.metadata && report.metadata.vulnerabilities;
if (!counts) {
  const why = (report && (report.message || (report.error && report.error.summary))) || 'no answer';
  console.warn(
    `WARNING: dependency audit not done: the registry did not answer (${String(why).split('\n')[0]})`,
  );
  process.exit(0);
}
const serious = Object.values(report.vulnerabilities || {})
  .filter((v) => v.severity === 'high' || v.severity === 'critical')
  .map((v) => `${v.name} (${v.severity})`);
const summary = ['critical', 'high', 'moderate', 'low', 'info']
  .map((s) => `${counts[s] || 0} ${s}`)
  .join(', ');
if (serious.length > 0) {
  console.error(`dependency audit FAILED: ${serious.join(', ')} (${summary}); see npm audit --omit=dev`);
  process.exit(1);
}
console.log(`dependency audit: no high or critical advisory in production dependencies (${summary})`);
