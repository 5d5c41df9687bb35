// A small time-series chart drawn by uPlot (canvas, about 50 KB, no dependencies): made once per
// mount, fed new data with setData, resized with its container.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  title: string;
  /** Epoch ms. */
  times: number[];
  values: (number | null)[];
  unit: (v: number) => string;
  colour: string;
}

export function Chart({ title, times, values, unit, colour }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [times.map((t) => t / 1000), values];

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = (): number => Math.max(160, Math.min(el.clientWidth || 320, 640));
    const u = new uPlot(
      {
        title,
        width: width(),
        height: 120,
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max, min + 1e-9) * 1.1] } },
        axes: [{ size: 28, stroke: '#667' }, { size: 56, stroke: '#667', values: (_u, ticks) => ticks.map((t) => unit(t)) }],
        series: [{}, { stroke: colour, fill: `${colour}22`, width: 1.5, points: { show: false } }],
      },
      data,
      el,
    );
    plot.current = u;
    const observer = new ResizeObserver(() => u.setSize({ width: width(), height: 120 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // made once; data changes go through setData below
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div class="chart" ref={box} role="img" aria-label={`${title}: ${values.length} samples, latest ${values.length ? unit(values[values.length - 1] ?? 0) : 'none'}`} />;
}
