/** The figures as a table: each with its target (from the issue that set them) and whether this run met it. */
import type { FairShareResult } from './fair-share.ts';
import type { ProfileResult } from './api-profile.ts';
import type { DestinationResult, ImportResult } from './import-profile.ts';
import type { MediaResult, TransferResult } from './media.ts';

export interface Row { part: string; figure: string; measured: string; target: string; met: boolean | null }

const TARGETS = { addedP50Ms: 2, addedP99Ms: 10, googleGetsPerInterval: 1, peakRssMiB: 200, abortStopMs: 50, importRatio: 0.9, importCpuRatio: 1.3, addedP99WhileImporting: 1.5, importPeakRssMiB: 250 };

const info = (part: string, figure: string, measured: string): Row => ({ part, figure, measured, target: '', met: null });
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms} ms`;

function transferRows(part: string, label: string, result: TransferResult): Row[] {
  return [
    {
      part, figure: `${label}: throughput, gateway vs bare proxy`,
      measured: `${result.gatewayMiBps} vs ${result.bareProxyMiBps} MiB/s (direct ${result.directMiBps})`,
      target: '≥ bare proxy', met: result.gatewayMiBps >= result.bareProxyMiBps,
    },
    info(part, `${label}: CPU per GiB, gateway / bare proxy`, `${result.cpuMsPerGiB.gateway} / ${result.cpuMsPerGiB.bareProxy} ms`),
  ];
}

export function mediaRows(media: MediaResult): Row[] {
  const part = 'media';
  const stops = media.abortStopMs;
  const worst = stops.includes(null) ? null : Math.max(...(stops as number[]));
  return [
    info(part, 'gateway RSS, idle before the downloads', `${media.gatewayIdleRssMiB} MiB`),
    ...transferRows(part, '1 × 1 GiB', media.whole1GiB),
    info(part, '1 × 1 GiB: gateway peak RSS', `${media.whole1GiB.gatewayPeakRssMiB} MiB`),
    ...transferRows(part, '20 × 50 MiB at c20', media.concurrent20x50MiB),
    {
      part, figure: '20 × 50 MiB at c20: gateway peak RSS', measured: `${media.concurrent20x50MiB.gatewayPeakRssMiB} MiB`,
      target: `≤ ${TARGETS.peakRssMiB} MiB`, met: media.concurrent20x50MiB.gatewayPeakRssMiB <= TARGETS.peakRssMiB,
    },
    {
      part, figure: 'client abort: upstream read stopped after (worst of 3)',
      measured: `${worst === null ? 'not stopped' : `${worst} ms`} (${stops.map((s) => s ?? '–').join(', ')})`,
      target: `≤ ${TARGETS.abortStopMs} ms`, met: worst !== null && worst <= TARGETS.abortStopMs,
    },
  ];
}

export function apiRows(store: string, result: ProfileResult): Row[] {
  const part = `api, ${store}`;
  const { added, latency } = result;
  const gets = result.googleGetsPerPollInterval;
  const rows: Row[] = [];
  for (const [kind, label] of [['poll', 'polls'], ['create', 'creations']] as const) {
    rows.push(
      { part, figure: `${label}: added p50`, measured: signed(added.gateway[kind].p50), target: `≤ ${TARGETS.addedP50Ms} ms`, met: added.gateway[kind].p50 <= TARGETS.addedP50Ms },
      { part, figure: `${label}: added p99`, measured: signed(added.gateway[kind].p99), target: `≤ ${TARGETS.addedP99Ms} ms`, met: added.gateway[kind].p99 <= TARGETS.addedP99Ms },
      info(part, `${label}: p50 / p99 gateway, direct, bare proxy`,
        `${latency.gateway[kind].p50} / ${latency.gateway[kind].p99}, ${latency.direct[kind].p50} / ${latency.direct[kind].p99}, ${latency.bareProxy[kind].p50} / ${latency.bareProxy[kind].p99} ms`),
    );
  }
  rows.push(
    {
      part, figure: 'Google sessions.get per session per pollInterval (most; mean)', measured: `${gets.max}; ${gets.mean}`,
      target: `≤ ${TARGETS.googleGetsPerInterval}`, met: gets.max <= TARGETS.googleGetsPerInterval,
    },
    info(part, 'bare proxy added p50 / p99, polls; creations',
      `${signed(added.bareProxy.poll.p50)} / ${signed(added.bareProxy.poll.p99)}; ${signed(added.bareProxy.create.p50)} / ${signed(added.bareProxy.create.p99)}`),
    info(part, 'CPU per call, gateway / bare proxy', `${result.cpuMsPerCall.gateway} / ${result.cpuMsPerCall.bareProxy} ms`),
    {
      part, figure: 'failed calls, gateway / direct / bare proxy',
      measured: `${result.failedCalls.gateway} / ${result.failedCalls.direct} / ${result.failedCalls.bareProxy}`,
      target: '0', met: result.failedCalls.gateway + result.failedCalls.direct + result.failedCalls.bareProxy === 0,
    },
  );
  return rows;
}

function importRowsOf(part: string, label: string, result: DestinationResult): Row[] {
  const noticed = (way: 'gateway' | 'plain') => result.rounds.filter((r) => r.way === way).map((r) => r.noticedSeconds).join(', ');
  const cpu = result.cpuMsPerGiB;
  return [
    info(part, 'gateway RSS, idle before the imports', `${result.gatewayIdleRssMiB} MiB`),
    {
      part, figure: `${label} from the pick: throughput, gateway vs plain copy`,
      measured: `${result.gatewayMiBps} vs ${result.plainMiBps} MiB/s (ratio ${result.ratio}; plain copy with SHA-256 ${result.plainSha256MiBps})`,
      target: `≥ ${TARGETS.importRatio} × plain`, met: result.ratio >= TARGETS.importRatio,
    },
    info(part, `${label}: ratio of the copying alone (from the poll that saw the pick)`, String(result.copyRatio)),
    info(part, `${label}: pick noticed after, gateway; plain (each round)`, `${noticed('gateway')}; ${noticed('plain')} s`),
    {
      part, figure: `${label}: gateway peak RSS`, measured: `${result.gatewayPeakRssMiB} MiB (plain copy ${result.plainPeakRssMiB})`,
      target: `≤ ${TARGETS.importPeakRssMiB} MiB`, met: result.gatewayPeakRssMiB <= TARGETS.importPeakRssMiB,
    },
    {
      part, figure: `${label}: CPU per GiB, gateway / plain copy (plain copy with SHA-256)`,
      measured: `${cpu.gateway} / ${cpu.plain} ms (${cpu.plainSha256}): ${(cpu.gateway / cpu.plain).toFixed(2)} × (${(cpu.gateway / cpu.plainSha256).toFixed(2)} ×)`,
      target: `≤ ${TARGETS.importCpuRatio} × plain`, met: cpu.gateway <= TARGETS.importCpuRatio * cpu.plain,
    },
    info(part, `${label}: the gateway's event loop's CPU per GiB (the rest on its copy thread and Node's)`, `${result.eventLoopCpuMsPerGiB} ms`),
    ...(result.rounds[0]?.s3ServerBusy === undefined ? [] : [info(part, `${label}: S3 server's CPU over wall time, gateway; plain (each round)`,
      `${result.rounds.filter((r) => r.way === 'gateway').map((r) => r.s3ServerBusy).join(', ')}; ${result.rounds.filter((r) => r.way === 'plain').map((r) => r.s3ServerBusy).join(', ')}`)]),
  ];
}

/** The API profile on a gateway with imports on, idle and while it imports: what the copies add to the requests' tail. */
export function apiWhileImportingRows(result: ProfileResult, layout: 'all' | 'split', importers: number): Row[] {
  const part = layout === 'all' ? 'api while importing, one process' : 'api while importing, web beside a worker';
  const importing = result.importing!;
  const rows: Row[] = [];
  for (const [kind, label] of [['poll', 'polls'], ['create', 'creations']] as const) {
    // One process may add half again; a web process beside a worker nothing, within a millisecond.
    const idle = result.added.gateway[kind].p99;
    const [target, bound] = layout === 'all'
      ? [`≤ ${TARGETS.addedP99WhileImporting} × idle (at least 1 ms)`, TARGETS.addedP99WhileImporting * Math.max(idle, 1)]
      : ['≤ idle + 1 ms', idle + 1];
    rows.push({
      part, figure: `${label}: added p99 while ${importers} downloads import, vs idle`,
      measured: `${signed(importing.added.gateway[kind].p99)} vs ${signed(idle)}`, target, met: importing.added.gateway[kind].p99 <= bound,
    });
    // The machine's share: the same load's effect on a proxy that does nothing but forward.
    rows.push(info(part, `${label}: the bare proxy's added p99 while importing, vs idle`,
      `${signed(importing.added.bareProxy[kind].p99)} vs ${signed(result.added.bareProxy[kind].p99)}`));
  }
  rows.push(info(part, 'imported meanwhile (a 1 GiB video per importer, picked again when done)', `${importing.importedMiBps} MiB/s`));
  return rows;
}

export function importRows(result: ImportResult, label: string): Row[] {
  return (['file', 's3'] as const).flatMap((to) => (result[to] ? importRowsOf(`import, ${to === 'file' ? 'file:' : 'S3'}`, label, result[to]) : []));
}

export function fairShareRows(result: FairShareResult, backlog: number): Row[] {
  const part = 'fair share';
  const target = 2 * result.itemSeconds + result.pollIntervalSeconds;
  return [
    {
      part, figure: `Bob's 1-item import while Alice's ${backlog} run, from his pick`,
      measured: `${result.bobSeconds} s (one item's copy ${result.itemSeconds} s, pollInterval ${result.pollIntervalSeconds} s)`,
      target: `≤ 2 × item + pollInterval = ${target.toFixed(2)} s`, met: result.bobSeconds <= target,
    },
    info(part, 'Alice\'s items done while Bob\'s ran; hers left then', `${result.aliceDoneMeanwhile}; ${result.aliceLeft}`),
  ];
}

/** A Markdown table, so a run's output can go into docs/benchmarks.md as it is. */
export function table(rows: readonly Row[]): string {
  const lines = ['| part | figure | measured | target | met |', '|---|---|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.part} | ${row.figure} | ${row.measured} | ${row.target} | ${row.met === null ? '' : row.met ? 'yes' : 'no'} |`);
  return lines.join('\n');
}
