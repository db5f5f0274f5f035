// add_user: create a user with a password (given, or read from stdin); no permissions yet.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR, EX_SOFTWARE, ValidationError } from '../errors.js';
import { passwordArgument } from '../password.js';

const DONE = "Done. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.";

const addUser: Command = {
  name: 'add_user',
  section: 'Users',
  description: 'Creates a new user in the internal database. This user will have no permissions for any virtual hosts by default.',
  usage: 'add_user <username> <password>',
  argumentsHelp: [
    ['<username>', 'Self-explanatory'],
    ['<password>', 'Password this user will authenticate with. Use a blank string to disable password-based authentication.'],
  ],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 2 },
  requiresApp: 'running',
  validate(args) {
    if (args[0] === '') throw new ValidationError('Bad argument: user cannot be an empty string', EX_DATAERR);
  },
  banner: ({ args }) => [`Adding user "${args[0]}" ...`],
  async run(ctx) {
    const [name] = ctx.args;
    const password = await passwordArgument(ctx, 1);
    await callNode(ctx.client, 'add_user', { name, password }, {
      user_exists: (e) => new CommandError(e.message, EX_SOFTWARE),
    });
    if (ctx.opts.quiet && ctx.opts.formatter !== 'json') return { kind: 'none' };
    const done = DONE.replaceAll("'rabbitmqctl ", `'${ctx.programName} `);
    return { kind: 'document', text: () => done, json: { message: done, node: ctx.opts.node, status: 'ok' }, erlang: done };
  },
};

export default addUser;
