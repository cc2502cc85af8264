// bench/lifecycle-cpuprofile.ts: summarises V8 .cpuprofile files of the scimflow process by code area and by function.
import fs from 'node:fs';
import path from 'node:path';
import { round } from './lifecycle-driver';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const ROOT = path.join(__dirname, '..');

/** Our folders by name, packages by name, node's own code, and V8's pseudo-frames ((garbage collector), (idle)…). */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const rel = path.relative(ROOT, url.replace(/^file:\/\//, ''));
  return rel.startsWith('..') ? 'other' : `${rel.split(path.sep)[0]}/`;
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time of the profile, seconds; the idle share says how much of it the thread had nothing to do. */
  seconds: number;
  areas: { area: string; pct: number }[];
  functions: { fn: string; pct: number }[];
}

export function summariseCpuProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node: each sample's delta belongs to the node sampled (hitCount when deltas are absent).
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  if (samples.length === 0) for (const n of profile.nodes) self.set(n.id, n.hitCount ?? 0);
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + t);
    const where = url ? `${path.relative(ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const topOf = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => [k, round((100 * t) / total, 1)] as const);
  return {
    file,
    seconds: round((profile.endTime - profile.startTime) / 1e6, 1),
    areas: topOf(areas).map(([area, pct]) => ({ area, pct })),
    functions: topOf(fns).map(([fn, pct]) => ({ fn, pct })),
  };
}

/** Every profile in `dir` (the main thread and each worker thread write their own). */
export function summariseProfileDir(dir: string): ProfileSummary[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summariseCpuProfile(path.join(dir, f)));
}
