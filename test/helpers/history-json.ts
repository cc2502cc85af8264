// test/helpers/history-json.ts: workflow histories to and from Temporal's JSON history format (the CLI's and the UI's).
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';

/*
 * Why not historyToJSON/historyFromJSON from @temporalio/common/lib/proto-utils: they pass @temporalio/proto's reflected
 * types to the protojson of @temporalio/common's own protobufjs copy, and our lockfile installs separate copies for the
 * two packages, so protojson's `instanceof Type` check fails ("type must be a Type"). The same conversion works with the
 * protobufjs copy that @temporalio/proto itself resolves, whatever the install layout.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
interface ReflectedType {
  fromObject(object: unknown): unknown;
}

const protoDir = path.dirname(require.resolve('@temporalio/proto'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@temporalio/proto') as { lookupType(name: string): ReflectedType };
const historyType = root.lookupType('temporal.api.history.v1.History');

/** The JSON text `temporal workflow show --output json` would write for this history. */
export function historyToJson(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, historyType.fromObject(history)), null, 2);
}

/** A History message (64-bit ids as Long, as the replayer expects) from Temporal's JSON history format. */
export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history;
}
