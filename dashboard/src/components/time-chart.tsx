import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#dc2626', '#ea580c', '#0891b2', '#a16207'];

export interface Series {
  label: string;
  values: (number | null)[];
}

/** A time-series chart (uPlot): `times` in seconds since the epoch, one line per series. */
export function TimeChart({ title, times, series, testId }: { title: string; times: number[]; series: Series[]; testId: string }): JSX.Element {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const labels = series.map((line) => line.label).join('\u0000');
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const plot = new uPlot({
      title, width: Math.max(320, element.clientWidth || 480), height: 200,
      series: [{}, ...series.map((line, index) => ({ label: line.label, stroke: PALETTE[index % PALETTE.length] ?? '#000', width: 2, spanGaps: true }))],
      axes: [{}, { size: 56 }],
      scales: { x: { time: true } },
    }, [times, ...series.map((line) => line.values)], element);
    chart.current = plot;
    return () => { plot.destroy(); chart.current = null; };
  }, [title, labels]);
  useEffect(() => { chart.current?.setData([times, ...series.map((line) => line.values)]); }, [times, series]);
  return <div class="chart" data-testid={testId} ref={holder} />;
}
