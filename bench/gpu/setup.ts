// WebGPU in Node through Dawn (npm `webgpu`: the WebGPU implementation Chromium ships, as a Node
// addon). Imported before tfjs-backend-webgpu, which registers itself only where navigator.gpu exists.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create([]) },
  configurable: true,
});
