/** TensorFlow.js on its WebGPU backend, the peer implementation. It requests its own device. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';

let ready: Promise<typeof tf> | null = null;

export function tfWebgpu(): Promise<typeof tf> {
  if (!ready) {
    ready = (async () => {
      // Small ops whose inputs still live on the CPU would otherwise run on tfjs's CPU kernels; we
      // want the GPU path measured.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend failed to initialise');
      await tf.ready();
      return tf;
    })();
  }
  return ready;
}

/** Wait for every op queued on `t` by reading back one element (a sync point; reading all would cost more). */
export async function tfSync(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await one.data();
  one.dispose();
}
