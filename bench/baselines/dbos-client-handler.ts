// The cold-start baseline for the execution handlers: a handler holding nothing but a DBOSClient.
import { DBOSClient } from '@dbos-inc/dbos-sdk';

let client: Promise<DBOSClient> | undefined;

export const handler = async (): Promise<unknown> => {
  client ??= DBOSClient.create({ systemDatabaseUrl: process.env.DATABASE_URL ?? '', systemDatabasePoolSize: 1 });
  return (await client).retrieveWorkflow('none').getStatus();
};
