import { createServer } from 'node:http';
import { closeServer, listenOnLoopback } from '../ports.js';

export interface SecretsManagerStandIn {
  /** Give it to a function as AWS_ENDPOINT_URL_SECRETS_MANAGER (the AWS SDK honours it). */
  url: string;
  close(): Promise<void>;
}

const reply = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
};

/**
 * A local stand-in for Secrets Manager's GetSecretValue (AWS JSON 1.1 protocol): serves each secret,
 * by its ARN, as the JSON string a filled secret holds. As strict as the service where it matters:
 * any other operation is refused, and an unknown SecretId is ResourceNotFoundException.
 */
export const startSecretsManager = async (
  secrets: Record<string, Record<string, string>>,
): Promise<SecretsManagerStandIn> => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return reply(res, 400, {
          __type: 'UnknownOperationException',
          message: `${req.headers['x-amz-target']} is not served here`,
        });
      }
      let secretId: string | undefined;
      try {
        secretId = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId;
      } catch {
        return reply(res, 400, { __type: 'SerializationException', message: 'the body is not JSON' });
      }
      const values = secretId ? secrets[secretId] : undefined;
      if (!secretId || !values) {
        return reply(res, 400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      reply(res, 200, {
        ARN: secretId,
        Name: secretId.split(':secret:')[1],
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 0,
        SecretString: JSON.stringify(values),
      });
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
};
