/** Save a file through the browser's download mechanism (Blob + <a download>). */
import type { Download } from '../engine/protocol';

/** Save `d`; null (an export that failed, already a notice) saves nothing. */
export function download(d: Download | null): void {
  if (!d) return;
  const url = URL.createObjectURL(new Blob([d.bytes.slice().buffer], { type: d.type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = d.name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
