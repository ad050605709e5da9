/**
 * The sweep definition in the URL hash, beside the settings (`#width=64&sweep.ranks=1,2&sweep.lr=-8,-2,1`).
 *
 * It works next to ../urlSync.ts without changing it: that module reads the link's settings and rewrites
 * the hash with the settings only. So this one must run first (main.tsx calls it just before
 * startUrlSync): it takes the `sweep.` keys out of the link (so the settings reader never sees them as
 * unknown settings), and from the next microtask on it writes the hash as settings + sweep after every
 * change of either (its store listener is registered after urlSync's, so it runs after that one).
 */
import { configToQuery } from '../../config/url';
import { useLab } from '../../store/store';
import { partsToSweep, splitSweepQuery, sweepToQuery } from '../../sweep/url';

/** Take the sweep keys out of the location (hash, else query string); returns them. */
function takeSweepParts(): Record<string, string> {
  const inHash = location.hash.replace(/^#/, '') !== '';
  const { sweep, rest } = splitSweepQuery(inHash ? location.hash : location.search);
  if (Object.keys(sweep).length === 0) return sweep;
  const url = inHash ? `${location.pathname}${location.search}${rest ? `#${rest}` : ''}` : `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`;
  history.replaceState(history.state, '', url);
  return sweep;
}

function readSweep(): void {
  const parts = takeSweepParts();
  if (Object.keys(parts).length === 0) return;
  const { def, notices } = partsToSweep(parts);
  useLab.getState().setSweepDef(def);
  if (notices.length) useLab.getState().notify(...notices);
}

/** The whole URL for the current settings and sweep definition. */
function write(): void {
  const q = [configToQuery(useLab.getState().config), sweepToQuery(useLab.getState().sweepDef)].filter(Boolean).join('&');
  const url = q ? `${location.pathname}#${q}` : location.pathname;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(history.state, '', url);
}

/** Call once, just before startUrlSync(). Returns a stop function. */
export function startSweepUrlSync(): () => void {
  readSweep();
  // Registered before urlSync's hashchange listener, so it strips the sweep keys before that one reads;
  // the hash is written back after it (a task later) since urlSync rewrites it with the settings only.
  const onHash = () => {
    readSweep();
    setTimeout(write, 0);
  };
  window.addEventListener('hashchange', onHash);
  let unsubscribe = () => {};
  queueMicrotask(() => {
    unsubscribe = useLab.subscribe((s, prev) => (s.config !== prev.config || s.sweepDef !== prev.sweepDef) && write());
    write();
  });
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', onHash);
  };
}
