import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startEngine } from './engine/client';
import { applyEngineMessage, engineBridge } from './store/store';
import './ui/app.css';

// One engine for the page's lifetime; its messages flow into the store.
const engine = startEngine(applyEngineMessage);
engineBridge.send = engine.send;
engine.send({ type: 'init' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
