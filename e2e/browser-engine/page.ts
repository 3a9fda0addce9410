// The browser page of the in-browser engine test: runs the scenario on the page's own WebGPU, then on the CPU engine
// (WebAssembly SIMD, as the desktop app's compute window does where WebGPU has no hardware adapter), and publishes
// both results.
import { runScenario } from './scenario';

(globalThis as { scenario?: unknown }).scenario = (async () => ({ webgpu: await runScenario('webgpu'), wasm: await runScenario('wasm') }))();
