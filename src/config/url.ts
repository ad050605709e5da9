/**
 * Every setting in the URL (TensorFlow Playground style), so an experiment is a link.
 * Format: `key=value&key=value`, keys from the config table, only the fields that differ from their
 * defaults, in table order. Numbers are written with String(x), the shortest decimal that parses back
 * to the same double, so a link round-trips exactly. Lists are comma-separated (`targets=1,3`).
 * All values are [0-9a-z_.,e-] so no escaping is needed; '+' is never produced (numbers >= 1e21 are
 * out of every range) and is not read as a space.
 */
import { allLayers, clampConfig, FIELDS, taskDefault, sameValue, type FieldValue, type RunConfig } from './schema';

/** Other names accepted in links, for people who type them by hand. */
export const URL_ALIASES: Readonly<Record<string, string>> = Object.freeze({ rank: 'r', alpha: 'lora_alpha' });

function formatValue(v: FieldValue): string {
  return Array.isArray(v) ? v.map(String).join(',') : String(v);
}

/** The query for cfg (no leading '?' or '#'): only non-default fields, in table order. */
export function configToQuery(cfg: RunConfig): string {
  const parts: string[] = [];
  for (const f of FIELDS) {
    // `targets` defaults to all layers, whatever L is, so "all" never needs to be written.
    const def = f.key === 'targets' ? allLayers(cfg.layers) : taskDefault(f.key, cfg.task);
    if (!sameValue(cfg[f.key], def)) parts.push(`${f.key}=${formatValue(cfg[f.key])}`);
  }
  return parts.join('&');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape is kept as is and then rejected as a value, with a notice
  }
}

/**
 * Read a link's query or hash (a leading '?' or '#' is ignored). Values are strings that clampConfig
 * parses leniently: every invalid or out-of-range value and every unknown key gives a notice naming it.
 */
export function queryToConfig(query: string): { config: RunConfig; notices: string[] } {
  const raw: Record<string, string> = {};
  const notices: string[] = [];
  const body = query.replace(/^[?#]/, '');
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (Object.hasOwn(URL_ALIASES, key)) key = URL_ALIASES[key];
    if (Object.hasOwn(raw, key)) notices.push(`${key}: given more than once; using the last value`);
    raw[key] = value;
  }
  const { config, notices: more } = clampConfig(raw);
  return { config, notices: [...notices, ...more] };
}
