// test/helpers/temp-stores.ts: the real stores over a fresh, migrated SQLite file in a folder of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStores } from '../../store';
import type { SqliteStores as Stores } from '../../store';
import { openDatabase } from '../../store/db';

export interface TempStores {
  dir: string;
  file: string;
  stores: Stores;
}

export async function openTempStores(prefix: string): Promise<TempStores> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'scimflow.sqlite');
  return { dir, file, stores: createStores(await openDatabase({ file, synchronous: 'NORMAL' })) };
}

/** Closes the connection (if still open) and deletes the folder. */
export function removeTempStores({ dir, stores }: Pick<TempStores, 'dir' | 'stores'>): void {
  if (stores.db.open) stores.db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
