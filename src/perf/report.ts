// What warren-perf prints: the progress line each second (rewritten in place on a terminal,
// one line a second into a pipe), and the summary, as text or as JSON.

import type { LatencySummary } from './histogram.js';

export interface FlowSummary {
  uri: string;
  producers: number;
  consumers: number;
  queues: string[];
  size: number;
  persistent: boolean;
  confirmWindow: number;
  ackEvery: number;
  prefetch: number;
  /** Per producer; 0 for unlimited. */
  rate: number;
  durationS: number;
  published: number;
  confirmed: number;
  nacked: number;
  returned: number;
  consumed: number;
  publishRate: number;
  confirmRate: number;
  consumeRate: number;
  /** Milliseconds; count is the number of messages measured. */
  latencyMs: LatencySummary;
  blockedS: number;
  /** CPU time of this process (all threads) over the run, as a percentage of one core. */
  toolCpuPercent: number;
  toolCpu: { userS: number; systemS: number };
  checks: Check[];
  ok: boolean;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProgressSample {
  elapsedS: number;
  publishRate: number;
  confirmRate: number;
  consumeRate: number;
  cpuPercent: number;
  blocked: boolean;
  showPublish: boolean;
  showConfirm: boolean;
  showConsume: boolean;
}

export function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function ms(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function progressLine(p: ProgressSample): string {
  const parts = [`time ${p.elapsedS.toFixed(1)} s`];
  if (p.showPublish) parts.push(`published ${num(p.publishRate)} msg/s`);
  if (p.showConfirm) parts.push(`confirmed ${num(p.confirmRate)} msg/s`);
  if (p.showConsume) parts.push(`consumed ${num(p.consumeRate)} msg/s`);
  parts.push(`tool CPU ${p.cpuPercent.toFixed(0)}%`);
  if (p.blocked) parts.push('BLOCKED by the broker');
  return parts.join(', ');
}

export function summaryText(s: FlowSummary): string {
  const flow = [`${s.size} B ${s.persistent ? 'persistent' : 'transient'}`];
  if (s.producers > 0) flow.push(s.confirmWindow > 0 ? `confirm window ${s.confirmWindow}` : 'no confirms');
  if (s.rate > 0) flow.push(`${num(s.rate)} msg/s per producer`);
  if (s.consumers > 0) flow.push(s.ackEvery > 0 ? `ack every ${s.ackEvery}` : 'no-ack');
  if (s.consumers > 0 && s.prefetch > 0) flow.push(`prefetch ${s.prefetch}`);
  const lines = [
    `warren-perf: ${s.uri}, ${s.producers} producer(s), ${s.consumers} consumer(s), ${s.queues.length} queue(s), ${flow.join(', ')}`,
    `  duration     ${s.durationS.toFixed(2)} s`,
  ];
  if (s.producers > 0) {
    lines.push(`  published    ${num(s.published)} (${num(s.publishRate)} msg/s)`);
    if (s.confirmWindow > 0) {
      lines.push(`  confirmed    ${num(s.confirmed)} (${num(s.confirmRate)} msg/s)${s.nacked > 0 ? `, nacked ${num(s.nacked)}` : ''}`);
    }
    if (s.returned > 0) lines.push(`  returned     ${num(s.returned)}`);
  }
  if (s.consumers > 0) lines.push(`  consumed     ${num(s.consumed)} (${num(s.consumeRate)} msg/s)`);
  const l = s.latencyMs;
  if (l.count > 0) {
    lines.push(
      `  latency      p50 ${ms(l.p50)} ms, p75 ${ms(l.p75)} ms, p95 ${ms(l.p95)} ms, p99 ${ms(l.p99)} ms, ` +
        `p99.9 ${ms(l.p999)} ms, max ${ms(l.max)} ms (min ${ms(l.min)} ms, mean ${ms(l.mean)} ms, ${num(l.count)} messages)`,
    );
  }
  if (s.blockedS > 0) lines.push(`  blocked      ${s.blockedS.toFixed(2)} s (connection.blocked from the broker, summed over producers)`);
  lines.push(
    `  tool CPU     ${s.toolCpuPercent.toFixed(0)}% of one core (user ${s.toolCpu.userS.toFixed(2)} s, system ${s.toolCpu.systemS.toFixed(2)} s)`,
  );
  for (const c of s.checks) lines.push(`  check        ${c.ok ? 'ok' : 'FAILED'}: ${c.name} (${c.detail})`);
  return lines.join('\n');
}

export interface ScenarioSummary {
  uri: string;
  scenario: string;
  clients: number;
  operations: number;
  /** Each phase (declare, delete, open+close, bind, unbind) with its rate. */
  phases: Array<{ name: string; operations: number; seconds: number; rate: number }>;
  toolCpuPercent: number;
  ok: boolean;
}

export function scenarioText(s: ScenarioSummary): string {
  const lines = [`warren-perf: ${s.uri}, scenario ${s.scenario}, ${num(s.operations)} operations by ${s.clients} client(s)`];
  for (const p of s.phases) {
    lines.push(`  ${p.name.padEnd(12)} ${num(p.operations)} in ${p.seconds.toFixed(2)} s (${num(p.rate)}/s)`);
  }
  lines.push(`  tool CPU     ${s.toolCpuPercent.toFixed(0)}% of one core`);
  return lines.join('\n');
}
