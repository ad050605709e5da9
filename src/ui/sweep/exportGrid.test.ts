/**
 * The PyTorch grid button's action: a language-model sweep's zip needs the base and texts fetched; when
 * that fails, the store gets a notice naming the sweep and the reason (and nothing is downloaded).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../config/schema';
import { useLab } from '../../store/store';
import { syntheticSweep } from '../../sweep/synthetic';
import { exportGrid } from './SweepList';

afterEach(() => vi.unstubAllGlobals());

describe('exportGrid', () => {
  it('a failed fetch of the base or a text is a notice', async () => {
    vi.stubGlobal('fetch', async () => new Response('', { status: 404 }));
    const { config } = validateConfig({ task: 'lm', lmData: 'shakespeare' });
    const s = { ...syntheticSweep({ ranks: [1, 2] }, () => 'pending', config), name: 'lm sweep' };
    await exportGrid(s);
    const notice = useLab.getState().notices.at(-1);
    console.log(`notice: ${notice}`);
    expect(notice).toMatch(/^PyTorch grid of lm sweep failed: could not load .* \(HTTP 404\)$/);
  });
});
