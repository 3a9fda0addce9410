// Checks that the kept WebAssembly (kernel-binary.ts) is what the C sources compile to, so that the binary the app
// runs is the code that is read and reviewed; and that the module keeps no memory of its own.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build, OUTPUT } from './kernels/build';
import { instantiateKernels, webAssembly } from './kernel-module';

function missingTools(): string | undefined {
  for (const tool of ['clang', 'wasm-ld', 'wasm-objdump']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install clang lld wabt)`;
    }
  }
  return undefined;
}

const missing = missingTools();

describe('the CPU engine\'s WebAssembly', () => {
  it.skipIf(missing !== undefined)(`is what kernels/*.c compile to${missing ? ` (skipped: ${missing})` : ''}`, () => {
    expect(build()).toBe(fs.readFileSync(OUTPUT, 'utf8'));
  });

  it('instantiates over a plain and over a shared memory, and writes nothing to either on its own', () => {
    for (const shared of [false, true]) {
      const memory = new webAssembly.Memory({ initial: 2, maximum: 16, ...(shared ? { shared: true } : {}) });
      const kernels = instantiateKernels(memory);
      expect(typeof kernels.conv_forward).toBe('function');
      // A module with data segments or a stack would have written them into the memory when instantiated.
      expect(new Uint8Array(memory.buffer).every((byte) => byte === 0)).toBe(true);
    }
  });
});
