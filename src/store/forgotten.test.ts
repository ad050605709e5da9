/** forgotten.ts with localStorage replaced by a map: ids kept by kind until unmarked; refused storage is quiet. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FORGOTTEN_KEY, forgottenIds, markForgotten, unmarkForgotten } from './forgotten';

function fakeStorage(refuse = false) {
  const m = new Map<string, string>();
  const no = () => {
    throw new DOMException('refused', 'SecurityError');
  };
  return {
    map: m,
    storage: {
      getItem: (k: string) => (refuse ? no() : (m.get(k) ?? null)),
      setItem: (k: string, v: string) => (refuse ? no() : void m.set(k, v)),
      removeItem: (k: string) => (refuse ? no() : void m.delete(k)),
    },
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('forgotten ids', () => {
  it('are kept per kind until the delete is confirmed, then the key is gone', () => {
    const { map, storage } = fakeStorage();
    vi.stubGlobal('localStorage', storage);
    markForgotten('run', 'a');
    markForgotten('run', 'a');
    markForgotten('sweep', 'a');
    markForgotten('run', 'b:c');
    expect([...forgottenIds('run')]).toEqual(['a', 'b:c']);
    expect([...forgottenIds('sweep')]).toEqual(['a']);
    unmarkForgotten('run', 'a');
    expect([...forgottenIds('run')]).toEqual(['b:c']);
    expect([...forgottenIds('sweep')]).toEqual(['a']);
    unmarkForgotten('run', 'b:c');
    unmarkForgotten('sweep', 'a');
    expect(map.has(FORGOTTEN_KEY)).toBe(false);
  });

  it('a value this page did not write, or storage refused, reads as nothing and throws nothing', () => {
    const { map, storage } = fakeStorage();
    vi.stubGlobal('localStorage', storage);
    map.set(FORGOTTEN_KEY, '{"not":"a list"}');
    expect(forgottenIds('run').size).toBe(0);
    map.set(FORGOTTEN_KEY, '[1, "run:x", null');
    expect(forgottenIds('run').size).toBe(0);
    map.set(FORGOTTEN_KEY, '[1, "run:x", null]');
    expect([...forgottenIds('run')]).toEqual(['x']);
    vi.stubGlobal('localStorage', fakeStorage(true).storage);
    expect(() => markForgotten('run', 'y')).not.toThrow();
    expect(forgottenIds('run').size).toBe(0);
  });
});
