// Chooses and initialises the tfjs backend inside the worker, and describes it for the status bar.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName, BackendRace, DeviceInfo } from '../protocol';
import { raceBackends } from './backend-race';
import { registerWasmTrainingKernels, startWasmTrainingKernels } from './kernels/register';
import { registerWebGpuTrainingKernels } from './kernels/webgpu/register';

/** Minimal slice of the WebGPU API we read (kept local so the worker needs no extra type package). */
interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

export async function webgpuAdapter(): Promise<GpuAdapterLike | null> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

function adapterName(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ');
}

/** Chrome moved isFallbackAdapter into adapter.info; SwiftShader is software whatever it says. */
export function isSoftwareAdapter(adapter: GpuAdapterLike): boolean {
  return Boolean(
    adapter.isFallbackAdapter ||
    adapter.info?.isFallbackAdapter ||
    SOFTWARE_RENDERER.test(adapterName(adapter)),
  );
}

function describeAdapter(adapter: GpuAdapterLike): string {
  const name = adapterName(adapter);
  const fallback = isSoftwareAdapter(adapter) ? ' (software)' : '';
  return (name || 'WebGPU adapter') + fallback;
}

export function webglRenderer(): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return String(name);
  } catch {
    return null;
  }
}

let wasmConfigured = false;
function configureWasm(): void {
  if (wasmConfigured) return;
  wasmConfigured = true;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  });
  // tfjs-wasm sizes its thread pool as hardwareConcurrency / 2 (one thread on a 2-core laptop).
  // Training is compute-bound, so we want one thread per core: report twice the cores to it.
  const cores = navigator.hardwareConcurrency || 1;
  if (self.crossOriginIsolated) {
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores * 2, configurable: true });
    setThreadsCount(cores);
  }
  // Our convolution engine brings its own threads (tfjs-wasm's pool is private to its module).
  registerWasmTrainingKernels({
    threads: self.crossOriginIsolated ? cores : 1,
    spawnHelper: () =>
      new Worker(new URL('./kernels/simd/helper.worker.ts', import.meta.url), {
        type: 'module',
        name: 'convolution helper',
      }),
  });
}

async function trySetBackend(name: BackendName): Promise<boolean> {
  if (name === 'wasm') configureWasm();
  if (name === 'webgpu') {
    if (!(await webgpuAdapter())) return false;
    registerWebGpuTrainingKernels();
  }
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    if (ok && name === 'wasm') startWasmTrainingKernels();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function describe(name: BackendName, fallbackReason?: string): Promise<DeviceInfo> {
  let adapter: string;
  let softwareGpu = false;
  if (name === 'webgpu') {
    const found = await webgpuAdapter();
    adapter = found ? describeAdapter(found) : 'WebGPU';
    softwareGpu = found !== null && isSoftwareAdapter(found);
  } else if (name === 'webgl') {
    adapter = webglRenderer() ?? 'WebGL';
  } else if (name === 'wasm') {
    adapter = `CPU (WebAssembly SIMD${self.crossOriginIsolated ? ', threads' : ''})`;
  } else {
    adapter = 'CPU (plain JavaScript)';
  }
  return {
    backend: name,
    adapter,
    ...(softwareGpu ? { softwareGpu } : {}),
    threads: name === 'wasm' ? getThreadsCount() : 1,
    fallbackReason,
  };
}

/**
 * Without an override: a real (non-software) WebGPU adapter, else a real WebGL GPU, else wasm —
 * on a machine without a GPU, WebAssembly with our training kernels is the fastest trainer by far.
 */
export async function defaultBackendOrder(): Promise<{ order: BackendName[]; reason?: string }> {
  const adapter = await webgpuAdapter();
  if (adapter && !isSoftwareAdapter(adapter)) return { order: ['webgpu', 'webgl', 'wasm', 'cpu'] };
  const webgpuReason = adapter
    ? 'WebGPU only offers a software adapter here'
    : 'WebGPU is not available in this browser (no adapter)';
  const renderer = webglRenderer();
  if (renderer && !SOFTWARE_RENDERER.test(renderer)) {
    return { order: ['webgl', 'wasm', 'cpu'], reason: webgpuReason };
  }
  return {
    order: ['wasm', 'webgl', 'cpu'],
    reason: `${webgpuReason}, and WebGL runs in software${renderer ? ` (${renderer})` : ''}: using the CPU (WebAssembly)`,
  };
}

function raceReason(race: BackendRace): string {
  const times = `webgpu ${race.webgpuMs.toFixed(0)} ms, wasm ${race.wasmMs.toFixed(0)} ms`;
  const when = race.cached ? `measured ${new Date(race.measuredAt).toLocaleDateString()}` : 'just measured';
  return `the CPU (wasm) trained faster than WebGPU in a timed step on this device (${times}; ${when}; ?backend=webgpu overrides)`;
}

export async function initBackend(preferred?: BackendName, raceSoftwareGpu = false): Promise<DeviceInfo> {
  let order: BackendName[];
  let reason: string | undefined;
  const adapter = preferred ? null : await webgpuAdapter();
  if (adapter && (raceSoftwareGpu || !isSoftwareAdapter(adapter))) {
    const race = await raceBackends(describeAdapter(adapter), trySetBackend).catch(() => null);
    if (race) {
      const device = await describe(race.winner, race.winner === 'wasm' ? raceReason(race) : undefined);
      return { ...device, race };
    }
  }
  if (preferred) {
    order = [preferred, ...(await defaultBackendOrder()).order.filter((b) => b !== preferred)];
  } else {
    ({ order, reason } = await defaultBackendOrder());
  }
  for (const name of order) {
    if (await trySetBackend(name)) {
      const why = name === preferred || !preferred ? reason : `${preferred} could not start here`;
      return describe(name, name === order[0] && preferred ? undefined : why);
    }
  }
  throw new Error('No TensorFlow.js backend could start in this browser.');
}

interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
}

function webgpuDevice(): GpuDeviceLike | null {
  const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
  return device && 'lost' in device ? device : null;
}

interface GlLike {
  canvas: EventTarget;
  getExtension(name: 'WEBGL_lose_context'): { loseContext(): void } | null;
}

function webglContext(): GlLike | null {
  return (tf.backend() as unknown as { gpgpu?: { gl?: GlLike } }).gpgpu?.gl ?? null;
}

/**
 * Calls `onLost` when the GPU behind the active backend goes away (driver reset, GPU process
 * crash, device destroyed): every tensor on it is gone, so the engine has to restart.
 */
export function watchDeviceLoss(onLost: (message: string) => void): void {
  const device = tf.getBackend() === 'webgpu' ? webgpuDevice() : null;
  if (device) {
    void device.lost.then((info) =>
      onLost(
        `The GPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}).`,
      ),
    );
  }
  const gl = tf.getBackend() === 'webgl' ? webglContext() : null;
  gl?.canvas.addEventListener('webglcontextlost', () => onLost('The WebGL context was lost.'));
}

/** Really loses the GPU device (destroy / WEBGL_lose_context), to exercise the recovery path. */
export function loseDevice(): boolean {
  if (tf.getBackend() === 'webgpu') {
    const device = webgpuDevice();
    device?.destroy();
    return Boolean(device);
  }
  if (tf.getBackend() === 'webgl') {
    const ext = webglContext()?.getExtension('WEBGL_lose_context');
    ext?.loseContext();
    return Boolean(ext);
  }
  throw new Error(`The ${tf.getBackend()} backend has no GPU device to lose.`);
}
