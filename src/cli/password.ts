// A password given as an argument, or else read as rabbitmqctl reads it: "Password: " is shown
// and the first line of standard input taken (without its line ending). No input at all is
// refused with rabbitmqctl's message and exit code.

import type { RunContext } from './command.js';
import { CommandError, EX_DATAERR } from './errors.js';

export async function passwordArgument(ctx: RunContext, index: number): Promise<string> {
  if (ctx.args.length > index) return ctx.args[index];
  if (!ctx.opts.quiet) ctx.progress('Password: ');
  const line = await firstLine(process.stdin);
  if (line === undefined) throw new CommandError('Password is not provided via argument or stdin', EX_DATAERR);
  return line;
}

function firstLine(input: NodeJS.ReadStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    let got = false;
    const finish = (line: string | undefined) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.destroy();
      resolve(line);
    };
    const onData = (chunk: Buffer) => {
      got = true;
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) finish(text.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = () => finish(got && text !== '' ? text : undefined);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
  });
}
