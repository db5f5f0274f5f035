// authenticate_user: check a user's password against the node's user database.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR } from '../errors.js';
import { passwordArgument } from '../password.js';

const BLANK =
  'attempted to log in with a blank password, which is prohibited by the internal authN backend. ' +
  'To use TLS/x509 certificate-based authentication, see the rabbitmq_auth_mechanism_ssl plugin and configure the client ' +
  'to use the EXTERNAL authentication mechanism. Alternatively change the password for the user to be non-blank.';

const authenticateUser: Command = {
  name: 'authenticate_user',
  section: 'Users',
  description: 'Attempts to authenticate a user. Exits with a non-zero code if authentication fails.',
  usage: 'authenticate_user <username> <password>',
  argumentsHelp: [
    ['<username>', 'Username to use'],
    ['<password>', 'Password to use. Can be entered via stdin in interactive mode.'],
  ],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 2 },
  requiresApp: 'running',
  banner: ({ args }) => [`Authenticating user "${args[0]}" ...`],
  async run(ctx) {
    const name = ctx.args[0];
    const password = await passwordArgument(ctx, 1);
    const failed = (why: string) => () => new CommandError(`Error: failed to authenticate user "${name}"\n${why}`, EX_DATAERR);
    await callNode(ctx.client, 'authenticate_user', { name, password }, {
      invalid_credentials: failed(`user '${name}' - invalid credentials`),
      blank_password: failed(`user '${name}' ${BLANK}`),
    });
    return { kind: 'document', text: () => 'Success', json: { message: 'Success' }, erlang: 'Success' };
  },
};

export default authenticateUser;
