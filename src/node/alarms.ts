// Resource alarms: the node's memory use (RSS) against vm_memory_high_watermark and the free
// disk space of its data directory against disk_free_limit, checked every second. While an
// alarm is on, publishing connections are blocked (consumers go on), as in RabbitMQ; both
// limits can be changed at run time (set_vm_memory_high_watermark, set_disk_free_limit).

import fs from 'node:fs';
import os from 'node:os';
import type { WarrenConfig } from './config.js';
import type { Logger } from './log.js';

export type Resource = 'disk' | 'memory';

const CHECK_INTERVAL_MS = 1000;

export class ResourceMonitor {
  private readonly active = new Set<Resource>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly nodeName: string,
    private readonly config: WarrenConfig,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly onChange: (active: Resource[]) => void,
  ) {}

  memoryLimit(): number {
    const w = this.config.vmMemoryHighWatermark;
    return 'relative' in w ? Math.floor(os.totalmem() * w.relative) : w.absolute;
  }

  diskLimit(): number {
    const l = this.config.diskFreeLimit;
    return 'absolute' in l ? l.absolute : Math.floor(os.totalmem() * l.relative);
  }

  /** The alarms in force, disk before memory (rabbitmqctl's order). */
  alarms(): Resource[] {
    return (['disk', 'memory'] as const).filter((r) => this.active.has(r));
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checks both resources now (after a limit changed, too). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const memory = process.memoryUsage.rss() > this.memoryLimit();
      let disk = false;
      try {
        const s = await fs.promises.statfs(this.dataDir);
        disk = s.bavail * s.bsize < this.diskLimit();
      } catch {
        // The data directory is being reset: keep the last reading.
        disk = this.active.has('disk');
      }
      this.set('memory', memory);
      this.set('disk', disk);
    } finally {
      this.checking = false;
    }
  }

  private set(resource: Resource, on: boolean): void {
    if (this.active.has(resource) === on) return;
    if (on) {
      this.active.add(resource);
      this.log.warning(`${resource} resource limit alarm set on node ${this.nodeName}.`);
      this.log.warning('*** Publishers will be blocked until this alarm clears ***');
    } else {
      this.active.delete(resource);
      this.log.warning(`${resource} resource limit alarm cleared on node ${this.nodeName}`);
    }
    this.onChange(this.alarms());
  }
}
