#!/usr/bin/env node
// The `alexnet` command: the TypeScript CLI (cli/main.ts), bundled on first use and again after a change (launch.js).
import { launch } from './launch.js';

await launch('cli/main.ts', 'cli');
