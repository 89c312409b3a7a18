/**
 * Edits per second over the last five minutes, as one SVG path (a bar per second) with a light
 * grid. Drawn by hand: it is small, and one path per update is cheaper than a chart library.
 */
import type { Part } from '../lib/renderer.js';
import { RATE_WINDOW_SECONDS } from './rate.js';
import type { DashboardState } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
const PAD = { top: 10, right: 8, bottom: 22, left: 36 };

function niceMax(value: number): number {
  if (value <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  return element;
}

export class RateChart implements Part<DashboardState> {
  private width = 0;
  private last: DashboardState | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly summary: HTMLElement,
  ) {
    new ResizeObserver(() => {
      if (this.container.clientWidth !== this.width && this.last) this.draw(this.last);
    }).observe(container);
  }

  render(state: DashboardState, previous: DashboardState | null): void {
    if (previous && state.rate === previous.rate) return;
    this.draw(state);
  }

  private draw(state: DashboardState): void {
    this.last = state;
    this.width = this.container.clientWidth;
    const { buckets, end } = state.rate;
    const width = Math.max(this.width, 200);
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const values = [...buckets.values()];
    const max = niceMax(Math.max(0, ...values));
    const svg = svgElement('svg', {
      viewBox: `0 0 ${width} ${HEIGHT}`,
      width,
      height: HEIGHT,
      'aria-hidden': 'true',
    });
    for (const fraction of [0, 0.5, 1]) {
      const y = PAD.top + plotH * (1 - fraction);
      svg.append(
        svgElement('line', { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y, class: 'gridline' }),
      );
      const label = svgElement('text', { x: PAD.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' });
      label.textContent = String(max * fraction);
      svg.append(label);
    }
    const every = plotW < 420 ? 2 : 1; // fewer labels on a phone, so they do not overlap
    for (let minute = 0; minute <= RATE_WINDOW_SECONDS / 60; minute += every) {
      const x = PAD.left + plotW * (1 - (minute * 60) / RATE_WINDOW_SECONDS);
      const label = svgElement('text', {
        x,
        y: HEIGHT - 6,
        class: 'tick',
        'text-anchor': minute === 0 ? 'end' : minute * 60 === RATE_WINDOW_SECONDS ? 'start' : 'middle',
      });
      label.textContent = minute === 0 ? 'now' : `−${minute} min`;
      svg.append(label);
    }
    if (end !== null) {
      const barW = plotW / RATE_WINDOW_SECONDS;
      let d = '';
      for (const [second, edits] of buckets) {
        const age = end - second;
        if (age < 0 || age >= RATE_WINDOW_SECONDS || edits <= 0) continue;
        const x = PAD.left + plotW - (age + 1) * barW;
        const h = (Math.min(edits, max) / max) * plotH;
        d += `M${x.toFixed(1)},${(PAD.top + plotH).toFixed(1)}v${(-h).toFixed(1)}h${Math.max(barW, 1).toFixed(2)}v${h.toFixed(1)}z`;
      }
      svg.append(svgElement('path', { d, class: 'bars' }));
    }
    this.container.replaceChildren(svg);
    this.summary.textContent = describeRate(buckets, end);
  }
}

/** The chart in words, for screen readers and for anyone who wants the number. */
export function describeRate(buckets: ReadonlyMap<number, number>, end: number | null): string {
  if (end === null) return 'Waiting for the first edits.';
  let lastMinute = 0;
  let peak = 0;
  for (const [second, edits] of buckets) {
    if (end - second < 60) lastMinute += edits;
    peak = Math.max(peak, edits);
  }
  if (peak === 0) return 'No new edits since this page opened.';
  const perSecond = (lastMinute / 60).toLocaleString('en-US', { maximumFractionDigits: 1 });
  return `${perSecond} edits/s over the last minute · peak ${peak.toLocaleString('en-US')}/s in the last 5 min`;
}
