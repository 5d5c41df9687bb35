export { ShellParser, type ShellParseOptions } from './shell-parser.js';
export { decodeAnsiC } from './shell-words.js';
export { findExecs, isShell, unwrap, type Unwrapped } from './wrappers.js';
export * from './shell-types.js';
export { commandText, normalisePath, type CommandText, type CommandTextOptions } from './command-text.js';
export { interpreterCode, type InterpreterCode, type Language } from './interpreter-code.js';
