import { Controls } from './Controls';
import { CostPanel } from './CostPanel';
import { GpuPanel } from './GpuPanel';
import { LossChart } from './LossChart';
import { InspectPanel } from './inspect/InspectPanel';
import { Notices } from './Notices';
import { RunControls } from './RunControls';
import { ExportPanel } from './ExportPanel';
import { ImportDrop } from './ImportDrop';
import { installAutomation } from './automation';
installAutomation(); // window.loraLab, for the command line and tests (see automation.ts)
import { SweepSection } from './sweep/SweepSection';
import { SamplesPanel } from './SamplesPanel';
import { useLab } from '../store/store';

/** The training page: settings on the left; run controls, loss chart, inside the adapter, cost and GPU on the right. */
export function App() {
  const lm = useLab((s) => s.config.task === 'lm');
  return (
    <main>
      <header>
        <h1>LoRA Lab</h1>
        <p className="tagline">Fine-tune a small frozen model with LoRA on your own GPU, and see how rank, alpha, learning rate, init and scaling change training.</p>
      </header>
      <Notices />
      <div className="layout">
        <aside aria-label="Settings">
          <Controls />
        </aside>
        <div className="results">
          <RunControls />
          <LossChart />
          <InspectPanel />
          {lm && <SamplesPanel />}
          <ExportPanel />
          <ImportDrop />
          <div className="side-by-side">
            <CostPanel />
            <GpuPanel />
          </div>
        </div>
      </div>
      <SweepSection /> {/* full width below the training page */}
    </main>
  );
}
