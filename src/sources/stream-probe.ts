/**
 * `--source auto` asks the live stream once, briefly: does it answer with an event stream within a
 * few seconds? The answer, and why, goes into the log line that says which source feeds the views.
 */
import { describeFetchError, formatDelay } from './wikimedia.js';

export type ProbeResult = { live: true; why: string } | { live: false; why: string };

export async function probeStream(url: string, userAgent: string, timeoutMs: number): Promise<ProbeResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = Date.now();
  try {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (userAgent) headers['User-Agent'] = userAgent;
    const response = await fetch(url, { headers, signal: controller.signal });
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 200 && type.includes('text/event-stream'))
      return { live: true, why: `${url} answered in ${formatDelay(Date.now() - started)}` };
    if (response.status === 403)
      return {
        live: false,
        why: `${url} answered 403 Forbidden: it refuses this User-Agent, see --user-agent`,
      };
    return {
      live: false,
      why: `${url} answered HTTP ${response.status}${response.status === 200 ? ` with ${type || 'no content type'}` : ''}`,
    };
  } catch (error) {
    if (controller.signal.aborted)
      return { live: false, why: `${url} did not answer within ${formatDelay(timeoutMs)}` };
    return { live: false, why: `${url} cannot be reached: ${describeFetchError(error)}` };
  } finally {
    clearTimeout(timer);
    controller.abort(); // the probe never reads the stream; the source opens its own connection
  }
}
