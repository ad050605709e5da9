/**
 * Every setting lives in the URL hash (TensorFlow Playground style), so a link reproduces an
 * experiment. On load the hash (or, failing that, the query string) is read leniently: bad values are
 * clamped or replaced with a notice naming the field. Then every config change rewrites the hash with
 * history.replaceState (no reload, no history entry per slider tick).
 */
import { configToQuery, queryToConfig } from '../config/url';
import type { RunConfig } from '../config/schema';
import { useLab } from '../store/store';

/** The settings part of a location: the hash, else the query string (both without their sign). */
export function linkQuery(loc: Pick<Location, 'hash' | 'search'>): string {
  const hash = loc.hash.replace(/^#/, '');
  return hash !== '' ? hash : loc.search.replace(/^\?/, '');
}

/** The URL for a config: the page's path plus '#' and the non-default settings (no '#' for defaults). */
export function urlFor(cfg: RunConfig, pathname: string): string {
  const q = configToQuery(cfg);
  return q === '' ? pathname : `${pathname}#${q}`;
}

function applyLink(query: string): void {
  const { config, notices } = queryToConfig(query);
  const s = useLab.getState();
  if (notices.length) s.notify(...notices);
  s.setConfig(config);
}

/** Read the link once, then keep the URL in step with the config. Returns a stop function. */
export function startUrlSync(): () => void {
  // The query string only seeds the settings; from here on they live in the hash.
  applyLink(linkQuery(location));
  const write = (cfg: RunConfig) => {
    const url = urlFor(cfg, location.pathname);
    if (url !== location.pathname + location.search + location.hash) history.replaceState(history.state, '', url);
  };
  write(useLab.getState().config);
  const unsubscribe = useLab.subscribe((s, prev) => {
    if (s.config !== prev.config) write(s.config);
  });
  // A hash edited by hand (no reload) is a new link to read.
  const onHash = () => applyLink(linkQuery(location));
  window.addEventListener('hashchange', onHash);
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', onHash);
  };
}
