// The broker the AMQP conformance suite runs against. By default a Warren node started by the
// harness; with AMQP_TEST_URL set, any broker at that URL (the suite is proved against real
// RabbitMQ 3.10 this way). Suites that administer the broker (users, permissions, limits) use
// `ctl`: warrenctl for Warren, or the rabbitmqctl named by RABBITMQCTL for an external broker,
// run with this process's environment (so set HOME, ERL_EPMD_PORT and RABBITMQ_NODENAME to
// reach that node).

import { execa } from 'execa';
import { Host, type CtlResult } from '../harness.js';

export interface BrokerUnderTest {
  url: string;
  amqpPort: number;
  /** Runs the broker's rabbitmqctl-compatible tool; undefined when no tool reaches the broker. */
  ctl?: (args: string[]) => Promise<CtlResult>;
  stop(): Promise<void>;
}

export async function brokerUnderTest(): Promise<BrokerUnderTest> {
  const external = process.env.AMQP_TEST_URL;
  if (external) {
    const url = new URL(external);
    return {
      url: external,
      amqpPort: Number(url.port || 5672),
      ctl: externalCtl(process.env.RABBITMQCTL),
      stop: async () => {},
    };
  }
  const host = new Host();
  try {
    await host.startMapper();
    const node = await host.startNode('rabbit');
    return {
      url: `amqp://guest:guest@127.0.0.1:${node.amqpPort}`,
      amqpPort: node.amqpPort,
      ctl: (args) => host.ctl(node, args),
      stop: () => host.cleanup(),
    };
  } catch (err) {
    await host.cleanup();
    throw err;
  }
}

function externalCtl(bin: string | undefined): BrokerUnderTest['ctl'] {
  if (!bin) return undefined;
  return async (args) => {
    const r = await execa(bin, args, { reject: false, timeout: 60_000 });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  };
}
