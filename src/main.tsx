import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startEngine } from './engine/client';
import { useLab } from './store/store';
import './ui/app.css';

// One engine for the page's lifetime; its messages flow into the store.
const engine = startEngine((m) => {
  const s = useLab.getState();
  switch (m.type) {
    case 'ready':
      s.setGpu({ state: 'ready', adapter: m.adapter });
      break;
    case 'error':
      if (s.gpu.state !== 'ready') s.setGpu({ state: 'error', kind: m.kind, message: m.message });
      break;
  }
});
engine.send({ type: 'init' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
