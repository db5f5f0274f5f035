// Waiting for a local OS process to end (stop with a pid file, shutdown).

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitForExit(pid: number, pollMs = 50): Promise<void> {
  while (processAlive(pid)) await new Promise((r) => setTimeout(r, pollMs));
}
