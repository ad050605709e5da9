/**
 * The user's own fine-tuning text: paste it or drop (or pick) a .txt file. It is checked at once (too
 * short for a window, over the size cap, binary, not UTF-8: a clear message, nothing changes) and kept
 * in the page: it goes to the engine worker, never to a server.
 */
import { useState, type DragEvent } from 'react';
import { useLab } from '../store/store';
import { MAX_TEXT_BYTES } from '../tasks/textData';

export function UserText() {
  const info = useLab((s) => s.userText);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const take = (bytes: Uint8Array, name: string) => setError(useLab.getState().setUserText(bytes, name));
  const fromFile = async (f: File | undefined) => f && take(new Uint8Array(await f.arrayBuffer()), f.name);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    void fromFile(e.dataTransfer.files[0]);
  };
  return (
    <div className="user-text" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="user-text">
      <textarea aria-label="Your text" placeholder="Paste your text here, or drop a .txt file" value={draft} rows={4} onChange={(e) => setDraft(e.target.value)} />
      <div>
        <button type="button" onClick={() => take(new TextEncoder().encode(draft), 'the pasted text')} disabled={!draft}>
          Use this text
        </button>{' '}
        <label className="file">
          or a file <input type="file" accept=".txt,text/plain" aria-label="Text file" onChange={(e) => void fromFile(e.target.files?.[0])} />
        </label>
      </div>
      <p className="hint" aria-live="polite">
        {error ? <span className="field-error">{error}</span> : info ? `Using ${info.name}: ${info.bytes.toLocaleString()} bytes (5% held out for the eval loss).` : `Up to ${MAX_TEXT_BYTES >> 20} MiB of UTF-8 text. It stays in this page.`}
      </p>
    </div>
  );
}
