#!/usr/bin/env python3
# Writes recordings/gpu/*.txt: nvidia-smi loop-mode outputs (pmon, dmon, the inventory query) of four
# GPU workloads, SYNTHESISED in the shape real drivers print (R550-series column sets, padding and
# placeholders), from the workload models below with a fixed seed. No real host was recorded: no
# public per-second pmon/dmon recordings of these workloads were found, and this project's machines
# have no GPU. Rerun to regenerate; the output is deterministic.
import random

OUT = 'recordings/gpu'
PMON_H = ['#Time        gpu         pid   type     sm    mem    enc    dec    jpg    ofa     fb   ccpm    command ',
          '#HH:MM:SS    Idx           #    C/G      %      %      %      %      %      %     MB     MB    name ']
DMON_H = ['#Time        gpu    pwr  gtemp  mtemp     sm    mem    enc    dec    jpg    ofa     fb   bar1   ccpm  rxpci  txpci ',
          '#HH:MM:SS    Idx      W      C      C      %      %      %      %      %      %     MB     MB     MB   MB/s   MB/s ']

def clock(t0, s):
    t = t0 + s
    return f'{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}'

def pmon_row(ts, gpu, pid, sm, mem, fb, cmd):
    pid_s = '-' if pid is None else str(pid)
    typ = '-' if pid is None else 'C'
    f = lambda v: '-' if v is None else str(v)
    return f' {ts}  {gpu:>5}  {pid_s:>10}  {typ:>5}  {f(sm):>5}  {f(mem):>5}      -      -      -      -  {f(fb):>5}  {"-" if pid is None else "0":>5}    {cmd if pid is not None else "-"}'

def dmon_row(ts, gpu, pwr, gt, mt, sm, mem, fb, rx, tx):
    return f' {ts}  {gpu:>5}  {pwr:>5}  {gt:>5}  {mt:>5}  {sm:>5}  {mem:>5}      0      0      0      0  {fb:>5}  {5:>5}  {0:>5}  {rx:>5}  {tx:>5}'

def write(name, header, inventory, gpus, seconds, model, t0):
    """model(s, gpu) -> (list of pmon rows (pid, sm, mem, fb, cmd), dmon (pwr, gt, mt, sm, mem, fb, rx, tx))"""
    pmon, dmon = [], []
    for s in range(seconds):
        ts = clock(t0, s)
        if s % 30 == 0:
            pmon += PMON_H
            dmon += DMON_H
        for g in range(gpus):
            procs, dev = model(s, g)
            if not procs:
                pmon.append(pmon_row(ts, g, None, None, None, None, None))
            for (pid, sm, mem, fb, cmd) in procs:
                pmon.append(pmon_row(ts, g, pid, sm, mem, fb, cmd))
            dmon.append(dmon_row(ts, g, *dev))
    with open(f'{OUT}/{name}.txt', 'w') as fh:
        fh.write('\n'.join(header) + '\n')
        fh.write('=== inventory: nvidia-smi --query-gpu=index,uuid,name,memory.total,mig.mode.current,pci.bus_id --format=csv,noheader\n')
        fh.write(inventory)
        fh.write('=== pmon: nvidia-smi pmon -s um -o T -d 1\n' + '\n'.join(pmon) + '\n')
        fh.write('=== dmon: nvidia-smi dmon -s pumt -o T -d 1\n' + '\n'.join(dmon) + '\n')

PROV = '# PROVENANCE: synthesised by scripts/make-gpu-recordings.py in the shape of real nvidia-smi R550 output; NOT captured on a real host.'
H100 = ('0, GPU-4b0f6c1e-93a2-4d7e-b5c8-1f2e3d4c5b6a, NVIDIA H100 80GB HBM3, 81559 MiB, Disabled, 00000000:18:00.0\n'
        '1, GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a, NVIDIA H100 80GB HBM3, 81559 MiB, Disabled, 00000000:2A:00.0\n')
A10 = '0, GPU-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, NVIDIA A10, 23028 MiB, [N/A], 00000000:00:1E.0\n'

def training(rng):
    # PyTorch DDP on two GPUs, one rank each: SMs near saturation with a dip at every step's
    # all-reduce and input wait (about every 6 s here: 1-2 s of 20-60 %), a longer dip for an eval
    # at 60 s; the caching allocator grows then jitters by hundreds of MiB; batches stream in over PCIe.
    fb = {0: 60800, 1: 60850}
    def model(s, g):
        dip = (s % 6 in (0,)) or (60 <= s < 64)
        sm = rng.randint(22, 58) if dip else rng.randint(88, 99)
        if s < 20: fb[g] += rng.randint(0, 40)
        elif rng.random() < 0.3: fb[g] += rng.choice([-256, -128, 128, 256])
        rx = rng.randint(40, 260) if dip else rng.randint(700, 1900)
        tx = rng.randint(20, 140)
        pwr = rng.randint(210, 330) if dip else rng.randint(560, 690)
        return [(21877 + g, sm, rng.randint(28, 55), fb[g], 'python3')], (pwr, rng.randint(55, 68), rng.randint(62, 74), sm, rng.randint(25, 55), fb[g] + 512, rx, tx)
    return model

def inference(rng):
    # An LLM server (vLLM-style, 0.9 of memory preallocated for the KV cache: flat and large),
    # utilisation following bursts of requests, prompts and tokens crossing PCIe in small amounts.
    state = {'load': 0.3}
    def model(s, g):
        if s % 10 == 0: state['load'] = rng.choice([0.0, 0.1, 0.4, 0.8, 1.0, 0.6])
        sm = max(0, min(100, int(state['load'] * 100 + rng.randint(-25, 15))))
        fb = 20706
        return [(30412, sm, max(0, sm // 2 + rng.randint(-5, 5)), fb, 'python3')], (rng.randint(60, 90) + sm * 2, 48, 52, sm, sm // 2, fb + 300, rng.randint(0, 8), rng.randint(0, 5))
    return model

def miner(rng):
    # A kawpow-style GPU miner under a harmless name: SMs pinned at 99-100 %, a 4.6 GiB DAG allocated
    # once and never resized, the memory controller busy, no host traffic beyond a few shares.
    def model(s, g):
        sm = rng.choice([99, 100, 100, 100])
        return [(41233, sm, rng.randint(86, 93), 4711, 'kworker-gpu')], (rng.randint(142, 149), 71, 78, sm, rng.randint(86, 93), 4711 + 290, rng.randint(0, 1), 0)
    return model

def diverted(rng):
    # A fine-tuning script started by one step and left running in the background after it: the
    # recording is ordinary training; what makes it diverted is that its step has ended.
    fb = {0: 9100}
    def model(s, g):
        dip = s % 5 == 0
        sm = rng.randint(30, 55) if dip else rng.randint(70, 92)
        fb[0] += rng.choice([0, 0, 64, -64])
        return [(51210, sm, rng.randint(20, 40), fb[0], 'python3')], (rng.randint(120, 150), 58, 61, sm, 30, fb[0] + 290, rng.randint(90, 400), rng.randint(10, 60))
    return model

if __name__ == '__main__':
    write('training', ['# praetor GPU recording: PyTorch DDP training, 2 x H100, one rank per GPU, 90 s', PROV], H100, 2, 90, training(random.Random(18)), 13 * 3600 + 20 * 60)
    write('inference', ['# praetor GPU recording: LLM inference server under bursty load, 1 x A10, 90 s', PROV], A10, 1, 90, inference(random.Random(19)), 14 * 3600 + 5 * 60)
    write('miner', ['# praetor GPU recording: kawpow-style GPU miner renamed kworker-gpu, 1 x A10, 60 s', PROV], A10, 1, 60, miner(random.Random(20)), 2 * 3600 + 11 * 60)
    write('diverted', ['# praetor GPU recording: fine-tuning job left running after its step, 1 x A10, 40 s', PROV], A10, 1, 40, diverted(random.Random(21)), 9 * 3600 + 47 * 60)
