/** Messages for the user (clamped link values, resets, GPU errors), each dismissible. */
import { useLab } from '../store/store';

export function Notices() {
  const notices = useLab((s) => s.notices);
  const dismiss = useLab((s) => s.dismissNotice);
  // The live region is always in the page so that screen readers announce what is added to it.
  return (
    <section role="status" aria-label="Notices" className="notices" data-testid="notices">
      {notices.map((n, i) => (
        <div className="notice" key={`${i}:${n}`}>
          <span>{n}</span>
          <button type="button" aria-label={`Dismiss: ${n}`} title="Dismiss" onClick={() => dismiss(i)}>
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
