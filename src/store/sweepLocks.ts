/**
 * Which tab of this browser trains a sweep, told by Web Locks (the tabs share IndexedDB, so each sees
 * the sweeps of the others): a tab holds the lock `lora-lab-sweep:<id>` while it trains that sweep
 * (the browser drops it when the tab closes or crashes). A tab that loads a sweep kept as running
 * asks whether its lock is held: if so the sweep trains in another tab (it is not interrupted, and
 * resuming it here would train its runs twice), and this tab waits for the lock to read the sweep
 * again as that tab left it. Without Web Locks every kept running sweep reads as interrupted, as before.
 */
import type { LabContext } from './context';

const lockName = (sweepId: string) => `lora-lab-sweep:${sweepId}`;
const locks = (): LockManager | undefined => (typeof navigator === 'undefined' ? undefined : navigator.locks);

/** Hold the sweep's lock from now until releaseSweepLock (a second hold of the same sweep is a no-op). */
export function holdSweepLock(ctx: LabContext, sweepId: string): void {
  const l = locks();
  if (!l || ctx.sweepLocks.has(sweepId)) return;
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  ctx.sweepLocks.set(sweepId, release);
  l.request(lockName(sweepId), () => held).catch(() => ctx.sweepLocks.delete(sweepId));
}

/** Let the sweep's lock go, once `written` (its last IndexedDB write) settled: a tab waiting for it reads what this one wrote. */
export function releaseSweepLock(ctx: LabContext, sweepId: string, written: Promise<unknown> = Promise.resolve()): void {
  const release = ctx.sweepLocks.get(sweepId);
  if (!release) return;
  ctx.sweepLocks.delete(sweepId);
  void written.finally(release);
}

/** Of `ids`, the sweeps whose lock a tab holds now. */
export async function heldElsewhere(ids: readonly string[]): Promise<Set<string>> {
  const l = locks();
  if (!l || ids.length === 0) return new Set();
  const held = new Set(((await l.query()).held ?? []).map((h) => h.name));
  return new Set(ids.filter((id) => held.has(lockName(id))));
}

/** Call `then` once no tab holds the sweep's lock (it runs while this tab holds it, so no tab starts it meanwhile). */
export function whenReleased(sweepId: string, then: () => Promise<void>): void {
  void locks()?.request(lockName(sweepId), then).catch(() => {});
}
