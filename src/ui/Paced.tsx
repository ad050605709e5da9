/**
 * Charts that redraw one at a time, each in a main-thread task of its own. A Recharts chart's update is
 * synchronous however it is scheduled (its internal store re-renders it from its effects), so several
 * charts that change together (the loss chart and the five views inside the adapter, or a sweep's
 * views) would otherwise redraw in one long task. A `<Paced>` child is shown as it was until its turn
 * in one queue shared by the page comes; then the latest element is drawn, alone, in a task of its own
 * (flushSync, so the whole render and Recharts' follow-up renders happen inside it), and the next chart
 * waits for a later task, which lets input and painting in between.
 *
 * Only the newest element counts: a chart that changed twice while waiting draws once. A chart that
 * mounts waits for its turn too (nothing is shown until then), so a panel of charts appearing at once
 * is drawn one chart per task as well.
 */
import { useLayoutEffect, useRef, useState, type ReactElement } from 'react';
import { flushSync } from 'react-dom';

type Turn = () => void;
const queue: Turn[] = [];
let draining = false;

/** Tasks between two charts' turns start after this many ms (0: as soon as the browser runs tasks). */
const GAP_MS = 0;

function drain(): void {
  const turn = queue.shift();
  if (!turn) {
    draining = false;
    return;
  }
  try {
    turn();
  } finally {
    setTimeout(drain, GAP_MS); // a chart whose draw threw does not stop the others' turns
  }
}

function enqueue(turn: Turn): void {
  queue.push(turn);
  if (!draining) {
    draining = true;
    setTimeout(drain, GAP_MS);
  }
}

/**
 * `name` labels the chart's turns in the browser's performance timeline (a `measure` named
 * `paced <name>` each time it draws), for the profiler and the responsiveness test.
 */
export function Paced({ name, children }: { name: string; children: ReactElement }) {
  const [shown, setShown] = useState<ReactElement | null>(null);
  const latest = useRef(children);
  const waiting = useRef(false);
  const alive = useRef(true);
  latest.current = children;
  useLayoutEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  useLayoutEffect(() => {
    if (children === shown || waiting.current) return;
    waiting.current = true;
    enqueue(() => {
      waiting.current = false;
      if (!alive.current) return;
      const began = performance.now();
      flushSync(() => setShown(latest.current));
      performance.measure(`paced ${name}`, { start: began, end: performance.now() });
    });
  }, [children, shown]);
  return shown;
}
