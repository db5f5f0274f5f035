// The text rabbitmqctl prints when it cannot reach or authenticate with a node: the common
// reasons, then what was learnt about the target (mapper reachable? name registered? cookie
// accepted?), then the CLI's own identity and cookie hash, so the operator can compare them.

import type { NodeUnreachable, Unreachable } from '../control/client.js';
import { splitNodeName } from '../control/client.js';
import { formatErlangTerm } from './formatters/erlang.js';
import { Atom } from './term.js';

export interface CliIdentity {
  name: string;
  home: string;
  cookieHash: string;
}

const quoteAtom = (name: string): string => formatErlangTerm(new Atom(name));

function targetLines(why: Unreachable, node: string): string[] {
  const { name } = splitNodeName(node);
  const epmd = `  * connected to epmd (port ${why.epmdPort}) on ${why.host}`;
  switch (why.kind) {
    case 'mapper_unreachable': {
      const reason = why.reason === 'nxdomain' ? 'nxdomain (non-existing domain)' : `${why.reason} (cannot connect to host/port)`;
      return [`  * unable to connect to epmd (port ${why.epmdPort}) on ${why.host}: ${reason}`, ''];
    }
    case 'not_registered': {
      const prefix = '                  ';
      const others =
        why.others.length === 0
          ? `${prefix}no other nodes on ${why.host}`
          : `${prefix}other nodes on ${why.host}: ` +
            formatErlangTerm(
              why.others.map((n) => new Atom(n)),
              { column: prefix.length + `other nodes on ${why.host}: `.length },
            );
      return [epmd, `  * epmd reports: node '${name}' not running at all`, others, '  * suggestion: start the node'];
    }
    case 'tcp_failed':
      return [
        epmd,
        `  * epmd reports node '${name}' uses port ${why.port} for inter-node and CLI tool traffic `,
        `  * can't establish TCP connection to the target node, reason: ${why.reason} `,
        '  * suggestion: check if the node is running and if a firewall lets the connection through',
        '',
      ];
    case 'refused':
    case 'handshake_timeout':
      return [
        epmd,
        `  * epmd reports node '${name}' uses port ${why.port} for inter-node and CLI tool traffic `,
        '  * TCP connection succeeded but Erlang distribution failed ',
        '  * suggestion: check if the Erlang cookie is identical for all server nodes and CLI tools',
        '  * suggestion: check if all server nodes and CLI tools use consistent hostnames when addressing each other',
        '  * suggestion: check if inter-node connections may be configured to use TLS. If so, all nodes and CLI tools must do that',
        '   * suggestion: see the CLI, clustering and networking guides on https://rabbitmq.com/documentation.html to learn more',
        '',
      ];
  }
}

export function unreachableText(err: NodeUnreachable, self: CliIdentity): string {
  const node = err.node;
  return [
    `Error: unable to perform an operation on node '${node}'. Please see diagnostics information and suggestions below.`,
    '',
    'Most common reasons for this are:',
    '',
    ' * Target node is unreachable (e.g. due to hostname resolution, TCP connection or firewall issues)',
    " * CLI tool fails to authenticate with the server (e.g. due to CLI tool's Erlang cookie not matching that of the server)",
    ' * Target node is not running',
    '',
    'In addition to the diagnostics info below:',
    '',
    ' * See the CLI, clustering and networking guides on https://rabbitmq.com/documentation.html to learn more',
    ` * Consult server logs on node ${node}`,
    " * If target node is configured to use long node names, don't forget to use --longnames with CLI tools",
    '',
    'DIAGNOSTICS',
    '===========',
    '',
    `attempted to contact: [${quoteAtom(node)}]`,
    '',
    `${node}:`,
    ...targetLines(err.why, node),
    '',
    'Current node details:',
    ` * node name: ${quoteAtom(self.name)}`,
    ` * effective user's home directory: ${self.home}`,
    ` * Erlang cookie hash: ${self.cookieHash}`,
    '',
    '',
  ].join('\n');
}
