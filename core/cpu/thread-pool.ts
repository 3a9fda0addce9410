// Worker threads that run the kernels' parallel exports over one shared memory, each doing its own share.
//
// TensorFlow.js' wasm backend has no threads in Node, and its heap is not shared, so the pool has its own shared
// memory: a kernel's inputs are copied in, every thread calls the same export with (thread, threads) appended, and
// the outputs are copied out. The main thread takes share 0 and waits for the others on an Atomics counter.
import { instantiateKernels, kernelModule, webAssembly, type KernelExports, type ParallelKernel, type Pointer, type WasmMemory } from './kernel-module';

/** Int32 slots of the control block at the start of the shared memory. */
const GENERATION = 0; // bumped to start a job; -1 stops the workers
const DONE = 1; // workers that finished the current job
const KERNEL = 2; // index into KERNEL_NAMES
const ARGUMENT_COUNT = 3;
const FAILED = 4; // 1 + the first thread whose call threw, or 0
const ARGUMENTS = 8;
const MAX_ARGUMENTS = 56;
/** Bytes before the first buffer: the control block. */
const ARENA_START = 4096;
const PAGE = 65536;
const MAX_PAGES = 65536;
/**
 * Loads of the control block a waiting thread makes before it sleeps: about a millisecond. A sleeping thread takes
 * tens to hundreds of microseconds to wake (more in a virtual machine, whose idle processor the host takes back), and
 * a training step's kernels come a fraction of a millisecond apart.
 */
const SPINS = 200_000;

/** The exports a pool may run, in the order the workers are told them. */
const KERNEL_NAMES: ParallelKernel[] = ['matmul', 'conv_forward', 'conv_input_grad', 'conv_filter_grad', 'sum_partials', 'transpose', 'max_pool_grad', 'lrn_forward', 'lrn_backward', 'sgd_update', 'adam_update', 'squared_distances'];

/** The body of each worker (CommonJS, given to the Worker as source so that no file has to be found). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, thread, threads, names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const control = new Int32Array(memory.buffer, 0, ${ARGUMENTS + MAX_ARGUMENTS});
let seen = 0;
for (;;) {
  // Spin a little before sleeping: waking a sleeping thread costs tens of microseconds, and kernels come in bursts.
  for (let spin = 0; spin < ${SPINS} && Atomics.load(control, ${GENERATION}) === seen; spin++);
  Atomics.wait(control, ${GENERATION}, seen);
  const generation = Atomics.load(control, ${GENERATION});
  if (generation === -1) break;
  if (generation === seen) continue;
  seen = generation;
  const args = Array.from(control.subarray(${ARGUMENTS}, ${ARGUMENTS} + control[${ARGUMENT_COUNT}]));
  try {
    kernels[names[control[${KERNEL}]]](...args, thread, threads);
  } catch {
    Atomics.compareExchange(control, ${FAILED}, 0, thread + 1);
  }
  if (Atomics.add(control, ${DONE}, 1) === threads - 2) Atomics.notify(control, ${DONE});
}
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}

export class ThreadPool {
  readonly kernels: KernelExports;
  private readonly control: Int32Array;
  private top = ARENA_START;

  private constructor(
    readonly threads: number,
    readonly memory: WasmMemory,
    private readonly workers: NodeWorker[],
    private readonly mainMayWait: boolean,
  ) {
    this.kernels = instantiateKernels(memory);
    this.control = new Int32Array(memory.buffer, 0, ARGUMENTS + MAX_ARGUMENTS);
  }

  /**
   * A pool of `threads` threads (the caller's and threads - 1 workers), or undefined where worker threads or shared
   * memory are not available (a browser page that is not cross-origin isolated).
   */
  static async create(threads: number): Promise<ThreadPool | undefined> {
    if (!Number.isInteger(threads) || threads < 2) throw new Error(`A thread pool needs 2 or more threads; got ${threads}.`);
    if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return undefined;
    let WorkerClass: new (source: string, options: object) => NodeWorker;
    try {
      ({ Worker: WorkerClass } = (await import(/* @vite-ignore */ 'node:worker_threads')) as unknown as { Worker: typeof WorkerClass });
    } catch {
      return undefined;
    }
    const memory = new webAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    const module = kernelModule(true);
    const workers: NodeWorker[] = [];
    for (let thread = 1; thread < threads; thread++) {
      const worker = new WorkerClass(WORKER_SOURCE, { eval: true, workerData: { module, memory, thread, threads, names: KERNEL_NAMES } });
      worker.unref(); // idle workers must not keep the process alive
      workers.push(worker);
    }
    // A browser window's main thread may not block; there the caller spins on the counter instead.
    let mainMayWait = true;
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    } catch {
      mainMayWait = false;
    }
    return new ThreadPool(threads, memory, workers, mainMayWait);
  }

  /** A buffer of `bytes` in the shared memory, valid until release(). Grows the memory when needed. */
  allocate(bytes: number): Pointer {
    const pointer = this.top;
    const end = pointer + Math.ceil(bytes / 64) * 64;
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      if (this.memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
        throw new Error(`The CPU engine's kernels need ${(end / 2 ** 30).toFixed(1)} GiB at once, more than the 4 GiB a WebAssembly memory can hold; use a smaller batch.`);
      }
      this.memory.grow(pages);
    }
    this.top = end;
    return pointer;
  }

  /** Frees every buffer allocated since the last release. */
  release(): void {
    this.top = ARENA_START;
  }

  /** The shared memory's bytes (a fresh view: the memory may have grown). */
  bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** Runs `kernel(...args, thread, threads)` on every thread and returns when all are done. */
  run(kernel: ParallelKernel, args: number[]): void {
    if (args.length > MAX_ARGUMENTS) throw new Error(`Kernel '${kernel}' was given ${args.length} arguments; at most ${MAX_ARGUMENTS} fit.`);
    const control = this.control;
    control[KERNEL] = KERNEL_NAMES.indexOf(kernel);
    control[ARGUMENT_COUNT] = args.length;
    for (let i = 0; i < args.length; i++) control[ARGUMENTS + i] = args[i]!;
    Atomics.store(control, DONE, 0);
    Atomics.store(control, FAILED, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    let failure: unknown;
    try {
      (this.kernels[kernel] as (...values: number[]) => void)(...args, 0, this.threads);
    } catch (error) {
      failure = error;
    }
    const others = this.threads - 1;
    for (let spin = 0, done = Atomics.load(control, DONE); done < others; done = Atomics.load(control, DONE), spin++) {
      if (this.mainMayWait && spin > SPINS) Atomics.wait(control, DONE, done);
    }
    if (failure) throw failure;
    const failed = Atomics.load(control, FAILED);
    if (failed) throw new Error(`Kernel '${kernel}' failed on thread ${failed - 1} of ${this.threads}.`);
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    Atomics.store(this.control, GENERATION, -1);
    Atomics.notify(this.control, GENERATION);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
