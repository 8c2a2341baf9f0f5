// The bench's output: one row per measured figure (with its baseline from the same run, the ratio and
// the goal), printed as a table and written to bench/RESULTS.md with the date and the machine.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';

export type ResultRow = {
  scenario: string;
  measure: string;
  baseline: string;
  figure: string;
  ratio: string;
  goal: string;
  /** null: informational, no goal. */
  met: boolean | null;
};

export type ScenarioReport = { name: string; rows: ResultRow[]; notes: string[]; seconds: number; error?: string };

export function verdict(met: boolean | null): string {
  return met === null ? '' : met ? 'met' : 'MISSED';
}

export function ratio(figure: number, baseline: number, digits = 2): string {
  if (!Number.isFinite(figure) || !Number.isFinite(baseline) || baseline === 0) return '–';
  return `${(figure / baseline).toFixed(digits)}×`;
}

export function machineDescription(): string {
  const cpus = os.cpus();
  let dovecot = 'unknown';
  try {
    dovecot = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // not installed: the bench would have failed earlier
  }
  return [
    `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'})`,
    `${(os.totalmem() / 1024 ** 3).toFixed(1)} GB memory`,
    `${os.type()} ${os.release()}`,
    `node ${process.version}`,
    `Dovecot ${dovecot}`,
  ].join(', ');
}

function table(rows: ResultRow[]): string[][] {
  return [
    ['scenario', 'measure', 'baseline (same run)', 'Leopard', 'ratio', 'goal', 'result'],
    ...rows.map((r) => [r.scenario, r.measure, r.baseline, r.figure, r.ratio, r.goal, verdict(r.met)]),
  ];
}

export function printTable(rows: ResultRow[]): string {
  const cells = table(rows);
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: ResultRow[]): string {
  const cells = table(rows).map((row) => row.map((c) => c.replace(/\|/g, '\\|')));
  return [
    `| ${cells[0]!.join(' | ')} |`,
    `|${cells[0]!.map(() => '---').join('|')}|`,
    ...cells.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export function writeResults(file: string, options: { title: string; command: string; scale: string; database: string; startedAt: Date; seconds: number; reports: ScenarioReport[]; preface?: string[] }): void {
  const rows = options.reports.flatMap((r) => r.rows);
  const missed = rows.filter((r) => r.met === false);
  const lines = [
    `# ${options.title}`,
    '',
    `- Date: ${options.startedAt.toISOString()} (took ${Math.round(options.seconds / 60)} min)`,
    `- Machine: ${machineDescription()}`,
    `- Command: \`${options.command}\` (scale: ${options.scale}); database: ${options.database}`,
    `- Goals: ${rows.filter((r) => r.met === true).length} met, ${missed.length} missed${missed.length ? ` (${missed.map((r) => `${r.scenario}: ${r.measure}`).join('; ')})` : ''}`,
    ...(options.preface ?? []),
    '',
    markdownTable(rows),
    '',
  ];
  for (const report of options.reports) {
    lines.push(`## ${report.name} (${Math.round(report.seconds)} s)`, '');
    if (report.error) lines.push(`**Failed:** ${report.error}`, '');
    for (const note of report.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  writeFileSync(file, lines.join('\n'));
}
