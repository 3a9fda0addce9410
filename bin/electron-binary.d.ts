// Types of electron-binary.js, for the TypeScript tests that use it.
export declare function electronBinary(): string | null;
