// Prints the top frames of a V8 CPU profile (node --cpu-prof) by self time, and by total time,
// so a bench run can say where a node spent its CPU. Usage: node test/bench/profile-top.js
// FILE.cpuprofile [N]

import fs from 'node:fs';

export function topFrames(file, n = 15) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (node) => {
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const bySelf = new Map();
  for (const [id, us] of self) {
    const k = key(byId.get(id));
    bySelf.set(k, (bySelf.get(k) ?? 0) + us);
  }
  const rows = [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { totalMs: total / 1000, rows: rows.map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / total })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { totalMs, rows } = topFrames(process.argv[2], Number(process.argv[3] ?? 15));
  console.log(`${process.argv[2]}: ${totalMs.toFixed(0)} ms sampled`);
  for (const r of rows) console.log(`${r.percent.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
}
