/**
 * Which dropped files make up a PEFT adapter: one zip holding an adapter folder (a LoRA Lab export or a
 * zipped `save_pretrained` folder), or the folder's two files, adapter_config.json and
 * adapter_model.safetensors. Every problem is an ImportError with one message naming the file.
 */
import { zipEntries, ZipError } from './zipEntries';

export interface NamedFile {
  name: string;
  bytes: Uint8Array;
}

export class ImportError extends Error {}

export interface AdapterFiles {
  config: NamedFile;
  model: NamedFile;
}

/**
 * The most bytes a zip's adapter files may inflate to, in all: a guard against zip bombs, checked against
 * the declared sizes before inflating and against the stream while inflating. The largest adapter the
 * page can train (width 1024, 6 layers, r 256) is 12.6 MB as F32, 25 MB as F64.
 */
export const MAX_ZIP_ADAPTER_BYTES = 64 * 2 ** 20;
const CONFIG = 'adapter_config.json';
const MODEL = 'adapter_model.safetensors';
const HOW = `drop a zip holding an adapter folder, or the folder's two files ${CONFIG} and ${MODEL}`;

const isZip = (f: NamedFile) => /\.zip$/i.test(f.name) || (f.bytes[0] === 0x50 && f.bytes[1] === 0x4b && f.bytes[2] === 0x03 && f.bytes[3] === 0x04);
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const folder = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

function fromZip(zip: NamedFile): AdapterFiles {
  let entries: Record<string, Uint8Array>;
  try {
    const wanted = (p: string) => !p.startsWith('__MACOSX/') && [CONFIG, MODEL, 'adapter_model.bin'].includes(base(p));
    entries = zipEntries(zip.bytes, zip.name, wanted, MAX_ZIP_ADAPTER_BYTES);
  } catch (e) {
    if (e instanceof ZipError) throw new ImportError(e.message);
    throw new ImportError(`${zip.name}: not a readable zip file (${(e as Error).message})`);
  }
  const paths = Object.keys(entries).filter((p) => !p.startsWith('__MACOSX/'));
  const folders = [...new Set(paths.filter((p) => base(p) === CONFIG).map(folder))].filter((d) => paths.includes(d + MODEL));
  if (folders.length === 0) {
    const bin = paths.find((p) => base(p) === 'adapter_model.bin');
    if (bin) throw new ImportError(`${zip.name}: ${bin} is a PyTorch pickle, which is not supported; save the adapter with safe_serialization=True (safetensors)`);
    const has = paths.find((p) => base(p) === CONFIG || base(p) === MODEL);
    const missing = has && base(has) === CONFIG ? MODEL : CONFIG;
    throw new ImportError(`${zip.name}: holds no ${has ? missing + ' beside ' + has : 'adapter folder'} (${HOW})`);
  }
  if (folders.length > 1) throw new ImportError(`${zip.name}: holds ${folders.length} adapter folders (${folders.map((d) => d || './').join(', ')}); zip one adapter at a time`);
  const dir = folders[0];
  return {
    config: { name: `${zip.name}/${dir}${CONFIG}`, bytes: entries[dir + CONFIG] },
    model: { name: `${zip.name}/${dir}${MODEL}`, bytes: entries[dir + MODEL] },
  };
}

/** The adapter's config and weights among the dropped or picked files. */
export function adapterFiles(files: readonly NamedFile[]): AdapterFiles {
  if (files.length === 0) throw new ImportError(`no files: ${HOW}`);
  const zips = files.filter(isZip);
  if (zips.length > 0) {
    if (files.length > 1) throw new ImportError(`${zips[0].name}: drop the zip on its own (got ${files.length} files)`);
    return fromZip(zips[0]);
  }
  const configs = files.filter((f) => /\.json$/i.test(f.name));
  const models = files.filter((f) => /\.safetensors$/i.test(f.name));
  const other = files.find((f) => !configs.includes(f) && !models.includes(f));
  if (other) {
    if (/\.bin$/i.test(other.name)) throw new ImportError(`${other.name}: PyTorch pickles are not supported; save the adapter with safe_serialization=True (safetensors)`);
    throw new ImportError(`${other.name}: not part of a PEFT adapter (${HOW})`);
  }
  if (configs.length !== 1 || models.length !== 1) {
    const names = files.map((f) => f.name).join(', ');
    if (configs.length === 0) throw new ImportError(`${names}: ${CONFIG} is missing (${HOW})`);
    if (models.length === 0) throw new ImportError(`${names}: ${MODEL} is missing (${HOW})`);
    throw new ImportError(`${names}: more than one adapter (${HOW}, for one adapter at a time)`);
  }
  return { config: configs[0], model: models[0] };
}
