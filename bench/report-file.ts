/**
 * BENCHMARKS.md is written by several benchmarks, each owning one `## ` section. `writeSection` replaces
 * that section (from its heading to the next `## ` heading) or appends it, leaving the others as they are,
 * so running one benchmark never erases another's figures. The file's title and preamble (before the
 * first `## `) are kept too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BENCHMARKS_FILE = path.resolve(__dirname, '..', 'BENCHMARKS.md');

interface Section {
  heading: string;
  body: string;
}

function split(text: string): { preamble: string; sections: Section[] } {
  const parts = text.split(/^(?=## )/m);
  const preamble = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return {
    preamble,
    sections: parts.map((p) => {
      const nl = p.indexOf('\n');
      return { heading: (nl < 0 ? p : p.slice(0, nl)).trim(), body: nl < 0 ? '' : p.slice(nl + 1) };
    }),
  };
}

const PREAMBLE =
  '# Benchmarks\n\nEach section below is written by the benchmark it names (see README.md, "Benchmarks"), with the machine and the date it ran on. Ratios measured in one run carry to other machines; absolute figures are for the machine named.\n\n';

/** Replaces (or appends) the section whose heading is `## ${title}`; `lines` is its body. */
export function writeSection(title: string, lines: string[], file = BENCHMARKS_FILE): void {
  const heading = `## ${title}`;
  const { preamble, sections } = split(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  const body = `\n${lines.join('\n').trim()}\n\n`;
  const at = sections.findIndex((s) => s.heading === heading);
  if (at >= 0) sections[at] = { heading, body };
  else sections.push({ heading, body });
  const text = `${preamble.trim() ? `${preamble.trimEnd()}\n\n` : PREAMBLE}${sections
    .map((s) => `${s.heading}\n${s.body.trimEnd()}\n`)
    .join('\n')}`;
  fs.writeFileSync(file, text);
}

/** One line naming the machine and the date, for the top of a section. */
export function machineLine(extra = ''): string {
  const cpus = os.cpus();
  return `Run on ${new Date().toISOString().slice(0, 10)}. Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}${extra ? `; ${extra}` : ''}.`;
}
