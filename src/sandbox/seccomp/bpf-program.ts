// Builds the classic-BPF seccomp filter that bubblewrap (--seccomp FD) and the native helper load, and
// interprets it in-process so tests can check its verdicts without a kernel.

import { Buffer } from 'node:buffer';
import { AUDIT_ARCH, syscallNumber, type SeccompArch } from './syscall-table.js';

export type { SeccompArch } from './syscall-table.js';

export interface SeccompPolicy {
  arch: SeccompArch;
  /** Syscall names answered with `errno`; names the arch lacks are skipped, names no arch knows throw. */
  deny: readonly string[];
  /** Syscalls denied only for some arguments; an entry in `deny` overrides the rule for that name. */
  argumentRules?: readonly ArgumentRule[];
  /** Errno the denied calls fail with (1..4095); EPERM when absent. */
  errno?: number;
}

/**
 * One test on the low 32 bits of a syscall argument (0-based). Only for arguments the kernel reads
 * as a 32-bit int or unsigned int, where the low word is the whole value.
 */
export type ArgumentTest =
  | { readonly arg: number; readonly oneOf: readonly number[] }
  | { readonly arg: number; readonly noneOf: readonly number[] };

/** `syscall` is denied when any alternative of `denyWhen` holds (every test of it), allowed otherwise. */
export interface ArgumentRule {
  readonly syscall: string;
  readonly denyWhen: readonly (readonly ArgumentTest[])[];
}

/** The fields of struct seccomp_data the filter reads. Args are the raw 64-bit registers. */
export interface SeccompData {
  arch: number;
  nr: number;
  args?: readonly bigint[];
}

/** SECCOMP_RET_* action values (high 16 bits of a filter's return; the low 16 are data, e.g. the errno). */
export const SECCOMP_RET = Object.freeze({
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
});

const SECCOMP_RET_ACTION_FULL = 0xffff0000;
const SECCOMP_RET_DATA = 0x0000ffff;

// Opcodes, each class|size|mode or class|op|source: the only instruction forms the builder emits.
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_JA = 0x05;
const BPF_RET_K = 0x06;

const BPF_MAXINSNS = 4096;
const INSN_SIZE = 8;

// Offsets in struct seccomp_data; an arg's low word comes first because both arches are little-endian.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argLowWord = (index: number): number => 16 + 8 * index;
const SECCOMP_DATA_SIZE = 64;

const EPERM = 1;
const ENOSYS = 38;
const MAX_ERRNO = 4095;

// x86_64 tags x32-ABI calls with this bit under the same AUDIT_ARCH; that ABI is refused outright.
const X32_SYSCALL_BIT = 0x40000000;

const CLONE_NAMESPACE_FLAGS =
  0x00020000 | // CLONE_NEWNS
  0x02000000 | // CLONE_NEWCGROUP
  0x04000000 | // CLONE_NEWUTS
  0x08000000 | // CLONE_NEWIPC
  0x10000000 | // CLONE_NEWUSER
  0x20000000 | // CLONE_NEWPID
  0x40000000; // CLONE_NEWNET

// Both push bytes into a terminal's input or console: a sandboxed process could type into the user's shell.
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

interface PendingInsn {
  code: number;
  k: number;
  jt: string | null; // label to jump to, or null for the next instruction
  jf: string | null;
  ja?: string; // BPF_JA's target, a 32-bit offset in k
}

/** Collects instructions with symbolic forward jumps, then resolves them into u8 offsets. */
class Assembler {
  private readonly insns: PendingInsn[] = [];
  private readonly labels = new Map<string, number>();
  private anonymous = 0;

  load(offset: number): void {
    this.insns.push({ code: BPF_LD_W_ABS, k: offset, jt: null, jf: null });
  }

  ret(action: number): void {
    this.insns.push({ code: BPF_RET_K, k: action, jt: null, jf: null });
  }

  /** Go to `label` when the test holds, else fall through. */
  jumpIf(code: number, k: number, label: string): void {
    this.insns.push({ code, k, jt: label, jf: null });
  }

  /** Fall through when the test holds, else go to `label`. */
  jumpUnless(code: number, k: number, label: string): void {
    this.insns.push({ code, k, jt: null, jf: label });
  }

  /** Go to `label` unconditionally. */
  jump(label: string): void {
    this.insns.push({ code: BPF_JA, k: 0, jt: null, jf: null, ja: label });
  }

  /** A label no other call to fresh() returns. */
  fresh(prefix: string): string {
    return `.${prefix}${this.anonymous++}`;
  }

  /** Return `action` when the test holds. The return sits beside its test, so no jump ever grows with the policy. */
  returnIf(code: number, k: number, action: number): void {
    const skip = `.skip${this.anonymous++}`;
    this.jumpUnless(code, k, skip);
    this.ret(action);
    this.label(skip);
  }

  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`seccomp assembler: label '${name}' placed twice`);
    this.labels.set(name, this.insns.length);
  }

  assemble(): Buffer {
    if (this.insns.length > BPF_MAXINSNS) {
      throw new Error(`seccomp program has ${this.insns.length} instructions; the kernel takes at most ${BPF_MAXINSNS}`);
    }
    const out = Buffer.alloc(this.insns.length * INSN_SIZE);
    this.insns.forEach((insn, index) => {
      const at = index * INSN_SIZE;
      out.writeUInt16LE(insn.code, at);
      out.writeUInt8(this.offset(index, insn.jt), at + 2);
      out.writeUInt8(this.offset(index, insn.jf), at + 3);
      out.writeUInt32LE((insn.ja === undefined ? insn.k : this.offset(index, insn.ja)) >>> 0, at + 4);
    });
    return out;
  }

  private offset(from: number, label: string | null): number {
    if (label === null) return 0;
    const target = this.labels.get(label);
    if (target === undefined) throw new Error(`seccomp assembler: label '${label}' never placed`);
    const distance = target - (from + 1);
    // Classic BPF jumps only forward, by a u8.
    if (distance < 0 || distance > 255) {
      throw new Error(`seccomp assembler: jump from ${from} to '${label}' spans ${distance}, outside 0..255`);
    }
    return distance;
  }
}

/** Compiles `policy` into raw struct sock_filter[] bytes (host order: both supported arches are little-endian). */
export function buildSeccompProgram(policy: SeccompPolicy): Buffer {
  const { arch } = policy;
  if (!Object.hasOwn(AUDIT_ARCH, arch)) throw new Error(`unsupported seccomp arch '${String(arch)}'`);
  const errno = policy.errno ?? EPERM;
  if (!Number.isInteger(errno) || errno < 1 || errno > MAX_ERRNO) {
    // 0 would make a denied call report success without running; the kernel caps errno at 4095.
    throw new Error(`seccomp errno must be an integer in 1..${MAX_ERRNO}, got ${errno}`);
  }
  const deny = SECCOMP_RET.ERRNO | (errno & SECCOMP_RET_DATA);
  const denied = resolveDenied(arch, policy.deny);
  const nr = (name: string): number | null => syscallNumber(arch, name);
  const asm = new Assembler();

  // Another ABI's numbers mean other syscalls (i386 on x86_64, arm32 on aarch64): never run them.
  asm.load(OFFSET_ARCH);
  asm.jumpIf(BPF_JEQ_K, AUDIT_ARCH[arch], 'native-abi');
  asm.ret(SECCOMP_RET.KILL_PROCESS);
  asm.label('native-abi');

  asm.load(OFFSET_NR);
  if (arch === 'x86_64') asm.returnIf(BPF_JGE_K, X32_SYSCALL_BIT, deny);

  // A deny-list entry for clone, clone3 or ioctl refuses the call outright, so it replaces the finer check.
  const clone3 = nr('clone3');
  if (clone3 !== null && !denied.has(clone3)) {
    // clone3 passes its flags in memory, out of BPF's reach; ENOSYS makes libc fall back to clone.
    asm.returnIf(BPF_JEQ_K, clone3, SECCOMP_RET.ERRNO | ENOSYS);
  }
  const clone = nr('clone');
  if (clone !== null && !denied.has(clone)) {
    // The kernel reads only the low 32 bits of clone's flags, where every CLONE_NEW* bit lives.
    asm.jumpUnless(BPF_JEQ_K, clone, 'not-clone');
    asm.load(argLowWord(0));
    asm.returnIf(BPF_JSET_K, CLONE_NAMESPACE_FLAGS, deny);
    asm.ret(SECCOMP_RET.ALLOW);
    asm.label('not-clone');
  }
  const ioctl = nr('ioctl');
  if (ioctl !== null && !denied.has(ioctl)) {
    // ioctl's cmd is an unsigned int in the kernel: matching the low word also catches junk in the high one.
    asm.jumpUnless(BPF_JEQ_K, ioctl, 'not-ioctl');
    asm.load(argLowWord(1));
    asm.returnIf(BPF_JEQ_K, TIOCSTI, deny);
    asm.returnIf(BPF_JEQ_K, TIOCLINUX, deny);
    asm.ret(SECCOMP_RET.ALLOW);
    asm.label('not-ioctl');
  }

  const special = new Set(['clone', 'clone3', 'ioctl']);
  const ruled = new Set<string>();
  for (const rule of policy.argumentRules ?? []) {
    checkRule(rule, special, ruled);
    const number = nr(rule.syscall);
    if (number === null || denied.has(number)) continue;
    emitArgumentRule(asm, number, rule, deny);
  }

  for (const number of denied) asm.returnIf(BPF_JEQ_K, number, deny);
  asm.ret(SECCOMP_RET.ALLOW);
  return asm.assemble();
}

function checkRule(rule: ArgumentRule, special: ReadonlySet<string>, seen: Set<string>): void {
  const where = `seccomp argument rule for '${rule.syscall}'`;
  syscallNumber('x86_64', rule.syscall); // throws on a name no arch knows
  if (special.has(rule.syscall)) throw new Error(`${where}: that syscall has its own check`);
  if (seen.has(rule.syscall)) throw new Error(`${where}: given twice`);
  seen.add(rule.syscall);
  if (rule.denyWhen.length === 0) throw new Error(`${where}: no alternative`);
  for (const alternative of rule.denyWhen) {
    if (alternative.length === 0) throw new Error(`${where}: an alternative with no test would deny every call`);
    for (const test of alternative) {
      const values = 'oneOf' in test ? test.oneOf : test.noneOf;
      if (!Number.isInteger(test.arg) || test.arg < 0 || test.arg > 5) throw new Error(`${where}: argument ${test.arg} is not 0..5`);
      if (values.length === 0 || values.length > 32) throw new Error(`${where}: a test needs 1..32 values`);
      for (const v of values) {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${where}: ${v} is not a 32-bit unsigned value`);
      }
    }
  }
}

/**
 * nr == number: for each alternative, run its tests (a failing one skips to the next alternative);
 * one that passes them all denies. No alternative: allow, since `number` is in no deny list.
 */
function emitArgumentRule(asm: Assembler, number: number, rule: ArgumentRule, deny: number): void {
  const other = asm.fresh('not-ruled');
  asm.jumpUnless(BPF_JEQ_K, number, other);
  for (const alternative of rule.denyWhen) {
    const next = asm.fresh('next-alternative');
    for (const test of alternative) {
      asm.load(argLowWord(test.arg));
      if ('oneOf' in test) {
        const holds = asm.fresh('test-holds');
        for (const v of test.oneOf) asm.jumpIf(BPF_JEQ_K, v, holds);
        asm.jump(next);
        asm.label(holds);
      } else {
        for (const v of test.noneOf) asm.jumpIf(BPF_JEQ_K, v, next);
      }
    }
    asm.ret(deny);
    asm.label(next);
  }
  asm.ret(SECCOMP_RET.ALLOW);
  asm.label(other);
}

/** Numbers of the denied names on `arch`, in policy order, without repeats. */
function resolveDenied(arch: SeccompArch, names: readonly string[]): Set<number> {
  const numbers = new Set<number>();
  for (const name of names) {
    const number = syscallNumber(arch, name);
    if (number !== null) numbers.add(number);
  }
  return numbers;
}

/**
 * Runs `program` on one syscall the way the kernel would and returns the filter's raw verdict.
 * Knows only the instruction forms the builder emits; anything else throws rather than guessing.
 */
export function interpretSeccompProgram(program: Buffer, data: SeccompData): number {
  if (program.length === 0 || program.length % INSN_SIZE !== 0) {
    throw new Error(`seccomp program length ${program.length} is not a positive multiple of ${INSN_SIZE}`);
  }
  const count = program.length / INSN_SIZE;
  let acc = 0;
  // Every jump is forward, so this ends within `count` steps.
  for (let pc = 0; pc < count; ) {
    const at = pc * INSN_SIZE;
    const code = program.readUInt16LE(at);
    const jt = program.readUInt8(at + 2);
    const jf = program.readUInt8(at + 3);
    const k = program.readUInt32LE(at + 4);
    switch (code) {
      case BPF_LD_W_ABS:
        acc = loadWord(data, k);
        pc += 1;
        break;
      case BPF_JEQ_K:
        pc += 1 + (acc === k ? jt : jf);
        break;
      case BPF_JGE_K:
        pc += 1 + (acc >= k ? jt : jf);
        break;
      case BPF_JSET_K:
        pc += 1 + ((acc & k) !== 0 ? jt : jf);
        break;
      case BPF_JA:
        pc += 1 + k;
        break;
      case BPF_RET_K:
        return k;
      default:
        throw new Error(`unsupported BPF opcode 0x${code.toString(16)} at instruction ${pc}`);
    }
  }
  throw new Error('seccomp program ran past its last instruction without returning');
}

/** A 32-bit word of struct seccomp_data, unsigned, as BPF_LD|BPF_W|BPF_ABS reads it. */
function loadWord(data: SeccompData, offset: number): number {
  if (offset === OFFSET_NR) return data.nr >>> 0;
  if (offset === OFFSET_ARCH) return data.arch >>> 0;
  const firstArg = argLowWord(0);
  if (offset >= firstArg && offset < SECCOMP_DATA_SIZE && offset % 4 === 0) {
    const arg = BigInt.asUintN(64, data.args?.[(offset - firstArg) >> 3] ?? 0n);
    const word = (offset - firstArg) % 8 === 0 ? arg : arg >> 32n;
    return Number(word & 0xffffffffn);
  }
  throw new Error(`seccomp interpreter: load from offset ${offset} is not modelled`);
}

/** A filter verdict in words: 'allow', 'errno 1', 'kill-process', ... */
export function describeAction(ret: number): string {
  const data = ret & SECCOMP_RET_DATA;
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  switch (action) {
    case SECCOMP_RET.KILL_PROCESS:
      return 'kill-process';
    case SECCOMP_RET.KILL_THREAD:
      return 'kill-thread';
    case SECCOMP_RET.TRAP:
      return 'trap';
    case SECCOMP_RET.ERRNO:
      return `errno ${data}`;
    case SECCOMP_RET.USER_NOTIF:
      return 'user-notif';
    case SECCOMP_RET.TRACE:
      return `trace ${data}`;
    case SECCOMP_RET.LOG:
      return 'log';
    case SECCOMP_RET.ALLOW:
      return 'allow';
    default:
      return `unknown 0x${(ret >>> 0).toString(16).padStart(8, '0')}`;
  }
}
