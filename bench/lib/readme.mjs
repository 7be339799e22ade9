// Renders the latest results as a Markdown table between markers in bench/README.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIR, round } from './common.mjs';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

export function renderTable(report) {
  const lines = [
    `Run ${report.date.slice(0, 16).replace('T', ' ')} UTC, \`${report.mode}\` mode, ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, load average ${report.machine.loadavg.map((l) => round(l, 1)).join(' / ')}, ${report.seconds} s.`,
    '',
    '| measure | value | goal | |',
    '| --- | --- | --- | --- |',
  ];
  for (const section of report.sections) {
    lines.push(`| **${section.title}** | | | |`);
    for (const r of section.results) {
      const value = r.value === null || r.value === undefined ? 'not done' : typeof r.value === 'number' ? `${round(r.value, 3)}${r.unit ? ` ${r.unit}` : ''}` : String(r.value);
      const flag = r.met === false ? 'MISSED' : r.met === true ? 'ok' : '';
      lines.push(`| \`${r.name}\` | ${value.replace(/\|/g, '\\|')} | ${String(r.goal).replace(/\|/g, '\\|')} | ${flag}${r.note ? ` ${r.note.replace(/\|/g, '\\|')}` : ''} |`);
    }
  }
  return lines.join('\n');
}

export function updateReadme(report) {
  const file = path.join(BENCH_DIR, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${START} … ${END} markers`);
  const heading = `\n### Latest \`${report.mode}\` run${report.only ? ` (only ${report.only.join(', ')}; the other measures were not run)` : ''}${report.coreOnly ? ' (`--core-only`: measure 4 without Node-RED and n8n)' : ''}\n\n`;
  fs.writeFileSync(file, text.slice(0, a + START.length) + heading + renderTable(report) + '\n' + text.slice(b));
}
