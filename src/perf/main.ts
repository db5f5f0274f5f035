// warren-perf's entry point: parse the options, run a message flow or a scenario, print the
// summary, and map what went wrong to an exit code (see USAGE).

import { failureKind, runFlow } from './flow.js';
import { parseOptions, UsageError, USAGE } from './options.js';
import { scenarioText, summaryText } from './report.js';
import { runScenario } from './scenarios.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 64;
export const EXIT_UNAVAILABLE = 69;
export const EXIT_SOFTWARE = 70;

export async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`warren-perf: ${err.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  try {
    if (options.scenario !== undefined) {
      const summary = await runScenario(options);
      process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${scenarioText(summary)}\n`);
      return EXIT_OK;
    }
    const summary = await runFlow(options);
    process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${summaryText(summary)}\n`);
    return summary.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  } catch (err) {
    const kind = failureKind(err);
    if (kind === 'other') {
      process.stderr.write(`warren-perf: ${(err as Error).stack ?? String(err)}\n`);
      return EXIT_SOFTWARE;
    }
    process.stderr.write(`warren-perf: ${(err as Error).message}\n`);
    return kind === 'connection' ? EXIT_UNAVAILABLE : EXIT_SOFTWARE;
  }
}
