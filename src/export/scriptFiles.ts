/**
 * The Python files that train the toy task again in PyTorch + PEFT, as every toy zip carries them (a run's
 * bundle, a sweep's grid, a learning rate carried to another rank): train_with_peft.py, the task it
 * rebuilds (toy_task.py) and what it shares with the language model's script (train_common.py).
 */
import trainWithPeft from './train_with_peft.py?raw';
import toyTask from './toy_task.py?raw';
import trainCommon from './train_common.py?raw';

export function toyTrainingScripts(): Record<string, Uint8Array> {
  const text = (s: string) => new TextEncoder().encode(s);
  return { 'train_with_peft.py': text(trainWithPeft), 'toy_task.py': text(toyTask), 'train_common.py': text(trainCommon) };
}
