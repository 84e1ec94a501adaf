// A convolution helper thread: instantiates the same kernels over the same shared memory, then waits
// for dispatches (Atomics.wait, so an idle helper costs nothing) and runs its share of each.
import { heapFunctions } from './heap-module';
import { kernelFunctions } from './outer-product-kernel';
import { CONTROL, callCountIndex, doneIndex, readCall, readyIndex, type HelperInit } from './control-block';

function serve({ memory, module, control, index, heap }: HelperInit): void {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = kernelFunctions(instance);
  if (heap)
    kernels.push(...heapFunctions(new WebAssembly.Instance(heap.module, { env: { memory: heap.memory } })));
  let seen = Atomics.load(control, CONTROL.generation);
  Atomics.store(control, readyIndex(index), 1);
  for (;;) {
    Atomics.wait(control, CONTROL.generation, seen);
    seen = Atomics.load(control, CONTROL.generation);
    try {
      const count = Atomics.load(control, callCountIndex(index));
      for (let i = 0; i < count; i++) {
        const { fn, args } = readCall(control, index, i);
        kernels[fn](...args);
      }
    } catch {
      Atomics.store(control, CONTROL.failed, 1);
    }
    Atomics.store(control, doneIndex(index), seen);
    Atomics.notify(control, doneIndex(index));
  }
}

self.onmessage = (event: MessageEvent<HelperInit>) => serve(event.data);
