import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startEngine } from './engine/client';
import { applyEngineMessage, useLab } from './store/store';
import { startUrlSync } from './ui/urlSync';
import { startSweepUrlSync } from './ui/sweep/sweepUrlSync';
import { startKeepingRuns } from './store/keepRuns';
import { hasIndexedDb } from './store/persist';
import './ui/app.css';

// One engine for the page's lifetime: the store's actions post to it, its messages flow into the store.
const engine = startEngine(applyEngineMessage);
useLab.getState().connect(engine.send); // asks the engine for its GPU
// Settings from the link (with notices for bad values), then the URL follows every change.
startSweepUrlSync(); // takes the sweep.* keys out of the link first, writes them back after
startUrlSync();
// Finished runs and sweeps are kept in IndexedDB: put them back, then keep every run that ends.
if (!hasIndexedDb()) useLab.getState().notify('This browser gives the page no storage (IndexedDB; a private window?): runs and sweeps will not be kept after a reload.');
startKeepingRuns(useLab);
void useLab.getState().hydrateSweeps();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
