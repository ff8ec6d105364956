import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Endpoints and region for the SDK clients; endpoints are set only locally. */
export interface ClientSettings {
  region: string;
  dynamodbEndpoint?: string | undefined;
  sqsEndpoint?: string | undefined;
}

// Local emulators accept any credentials; in AWS the Lambda role's credentials are used.
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const createDocumentClient = (settings: ClientSettings): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: settings.region,
      ...(settings.dynamodbEndpoint ? { endpoint: settings.dynamodbEndpoint, credentials: localCredentials } : {}),
    }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } },
  );

/**
 * A client and its SDK module, loaded and created on first use, once. A failed load or a failed
 * creation is tried again on the next use (a module whose own code threw while loading fails the
 * same way again: Node keeps that error). `loading()` is the load under way or done, if any.
 */
const loadedOnFirstUse = <Sdk, Client>(load: () => Promise<Sdk>, create: (sdk: Sdk) => Client) => {
  let loaded: Promise<{ sdk: Sdk; client: Client }> | undefined;
  const get = () => {
    loaded ??= load()
      .then((sdk) => ({ sdk, client: create(sdk) }))
      .catch((error: unknown) => {
        loaded = undefined;
        throw error;
      });
    return loaded;
  };
  return Object.assign(get, { loading: () => loaded });
};

export type SqsSdk = typeof import('@aws-sdk/client-sqs');

/**
 * SQS as the adapters use it. The SDK's SQS module is loaded, and the client created, on the first
 * call: most functions send to a queue only on a rare path (validate: a provider that answered too
 * late, storage down), and the module alone costs about 20 ms of every cold start that loads it.
 */
export interface Sqs {
  /** Runs `use` with the client and the SDK module (its commands). */
  with<T>(use: (client: SQSClient, sdk: SqsSdk) => Promise<T>): Promise<T>;
  /** Closes the client's connections, if it was ever created (or is being created). */
  destroy(): void;
}

export const createSqs = (settings: ClientSettings, wrap: (client: SQSClient) => SQSClient = (client) => client) => {
  const load = loadedOnFirstUse(
    () => import('@aws-sdk/client-sqs'),
    (sdk) =>
      wrap(
        new sdk.SQSClient({
          region: settings.region,
          ...(settings.sqsEndpoint ? { endpoint: settings.sqsEndpoint, credentials: localCredentials } : {}),
        }),
      ),
  );
  const sqs: Sqs = {
    async with(use) {
      const { client, sdk } = await load();
      return use(client, sdk);
    },
    // A client still being created when the function stops is closed as soon as it exists.
    destroy: () => {
      load.loading()?.then(
        ({ client }) => client.destroy(),
        () => undefined,
      );
    },
  };
  return sqs;
};

export type SecretsSdk = typeof import('@aws-sdk/client-secrets-manager');

/**
 * Secrets Manager, loaded and created on the first read: a function with no secret bound never
 * loads the module (see createSqs for why that matters).
 */
export const createSecrets = (settings: Pick<ClientSettings, 'region'>) => {
  const load = loadedOnFirstUse(
    () => import('@aws-sdk/client-secrets-manager'),
    (sdk): SecretsManagerClient => new sdk.SecretsManagerClient({ region: settings.region }),
  );
  return {
    async with<T>(use: (client: SecretsManagerClient, sdk: SecretsSdk) => Promise<T>): Promise<T> {
      const { client, sdk } = await load();
      return use(client, sdk);
    },
  };
};
