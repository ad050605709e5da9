import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startEngine } from './engine/client';
import { applyEngineMessage, engineBridge } from './store/store';
import { startUrlSync } from './ui/urlSync';
import { startSweepUrlSync } from './ui/sweep/sweepUrlSync';
import { hydrateRuns, startKeepingRuns } from './store/keepRuns';
import './ui/app.css';

// One engine for the page's lifetime; its messages flow into the store.
const engine = startEngine(applyEngineMessage);
engineBridge.send = engine.send;
engine.send({ type: 'init' });
// Settings from the link (with notices for bad values), then the URL follows every change.
startSweepUrlSync(); // takes the sweep.* keys out of the link first, writes them back after
startUrlSync();
// Finished runs are kept in IndexedDB: put them back on the chart, then keep every run that ends.
startKeepingRuns();
void hydrateRuns();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
