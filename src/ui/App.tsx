import { GpuPanel } from './GpuPanel';

export function App() {
  return (
    <main>
      <header>
        <h1>LoRA Lab</h1>
        <p className="tagline">Fine-tune a small frozen model with LoRA on your own GPU, and see how rank, alpha, learning rate, init and scaling change training.</p>
      </header>
      <GpuPanel />
    </main>
  );
}
