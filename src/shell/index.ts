export { ShellParser, type ShellParseOptions } from './shell-parser.js';
export { decodeAnsiC } from './shell-words.js';
export { findExecs, isShell, unwrap, type Unwrapped } from './wrappers.js';
export * from './shell-types.js';
