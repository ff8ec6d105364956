import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DLQ_RETENTION_SECONDS, QUEUES, type QueueSpec } from '../queues.js';

/** Every queue of lib/queues.ts with its `-dlq`, SSE and TLS-only access. */
export class Queues extends Construct {
  readonly queues: Record<keyof typeof QUEUES, Queue>;
  readonly deadLetterQueues: Record<keyof typeof QUEUES, Queue>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const queues = {} as Record<keyof typeof QUEUES, Queue>;
    const dlqs = {} as Record<keyof typeof QUEUES, Queue>;
    for (const [name, spec] of Object.entries(QUEUES) as [keyof typeof QUEUES, QueueSpec][]) {
      const dlq = new Queue(this, `${spec.id}Dlq`, {
        retentionPeriod: Duration.seconds(DLQ_RETENTION_SECONDS),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // Marks it a dead-letter queue (CT.SQS.PR.1). Not BY_QUEUE: naming the source queue here
        // while the source's redrive policy names this queue would be a circular reference.
        redriveAllowPolicy: { redrivePermission: RedrivePermission.ALLOW_ALL },
      });
      queues[name] = new Queue(this, spec.id, {
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(spec.retentionSeconds),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
      });
      dlqs[name] = dlq;
    }
    this.queues = queues;
    this.deadLetterQueues = dlqs;
  }
}
