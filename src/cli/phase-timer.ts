// PRAETOR_TIMING=1: where a one-shot `praetor run` spends its time, one stderr line per phase with
// the milliseconds since the process started (wall) and the process's CPU time so far (user+sys).
// Off, it does nothing.

/** A mark(label) that writes `praetor timing: <label> <wall> ms, cpu <cpu> ms` when on. */
export function phaseTimer(on: boolean, write: (line: string) => void = (l) => process.stderr.write(l)): (label: string) => void {
  if (!on) return () => undefined;
  return (label) => {
    const cpu = process.cpuUsage();
    write(`praetor timing: ${label} ${performance.now().toFixed(1)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms\n`);
  };
}
