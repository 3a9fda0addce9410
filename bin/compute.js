#!/usr/bin/env node
// The compute child process that core/workbench/node-compute.ts forks: core/compute/compute-main.ts, started quickly.
import { launch } from './launch.js';

await launch('core/compute/compute-main.ts', 'compute');
