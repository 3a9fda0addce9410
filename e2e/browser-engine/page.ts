// The browser page of the in-browser engine test: runs the scenario on the page's own WebGPU and publishes the result.
import { runScenario } from './scenario';

(globalThis as { scenario?: unknown }).scenario = runScenario('webgpu');
