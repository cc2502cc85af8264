// test/helpers/accounts.ts: reading an app's accounts back through a connector, as the tests' oracle does.
import type { Connector, RemoteAccount } from '../../connectors/connector';

/** The app's account with this userName (case-insensitively), if any; more than one is a test failure. */
export async function accountNamed(connector: Connector, userName: string): Promise<RemoteAccount | undefined> {
  const found = await connector.searchAccounts('userName', userName);
  if (found.length > 1)
    throw new Error(`${found.length} accounts are named ${userName}: ${found.map((a) => a.id).join(', ')}`);
  return found[0];
}
