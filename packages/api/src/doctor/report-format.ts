// The doctor's report for people (the JSON form is the Report itself).
import type { Report } from './inspect';
import type { RepairResult } from './repair';

export function formatReport(r: Report): string {
  const lines = [
    `tickets:            ${r.tickets}`,
    `without a number:   ${r.numberless.count}${examples(r.numberless.examples)}`,
    `malformed number:   ${r.malformed.count}${examples(r.malformed.examples.map((e) => `${e.id}=${JSON.stringify(e.ticketNumber)}`))}`,
    `shared numbers:     ${r.duplicates.numbers} (held by ${r.duplicates.tickets} tickets)${examples(r.duplicates.examples.map((e) => `${e.ticketNumber} x${e.count}`))}`,
    `missing sequence:   ${r.missingSequence.count}`,
    `counter:            ${r.counter.value ?? 'none'} (highest number in use: ${r.counter.highest})${r.counter.behind ? '  <- behind' : ''}`,
    `ticketNumber index: ${r.index.ticketNumber}`,
    '',
  ];
  if (r.healthy) {
    lines.push('healthy: nothing to do.');
  } else {
    lines.push(
      'problems:',
      ...r.problems.map((p) => `  - ${p}`),
      '',
      '`npm run doctor -- --fix` would:',
      ...r.plan.map((p) => `  - ${p}`),
    );
  }
  return lines.join('\n');
}

export function formatRepair(result: RepairResult): string {
  const c = result.changed;
  const lines = [
    'changed:',
    `  numbered (had none or a malformed one): ${c.numbered}`,
    `  renumbered (shared a number):           ${c.renumbered}`,
    `  timeline notes written:                 ${c.notes}`,
    `  sequence fields stored:                 ${c.sequences}`,
    `  counter raised to:                      ${c.counterRaisedTo ?? '(unchanged)'}`,
    `  unique index built:                     ${c.indexBuilt ? 'yes' : 'no'}`,
    ...result.errors.map((e) => `error: ${e}`),
    '',
    'now:',
    formatReport(result.after),
  ];
  return lines.join('\n');
}

function examples(list: string[]): string {
  return list.length ? `  e.g. ${list.join(', ')}` : '';
}
