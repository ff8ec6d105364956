import { Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTBOX_MESSAGE_TEMPLATE, OUTBOX_STREAM_FILTERS } from '../outbox-stream.js';

/**
 * The outbox off the request path: an EventBridge pipe from the deliveries table's stream to the
 * deliveries queue, keeping only records that became sendable (lib/outbox-stream.ts) and sending
 * each as the queue's `{ deliveryId }` message. AWS runs and retries it (a failing batch is retried
 * until its records leave the stream, after 24 hours); the sweeper stays behind it as the backstop
 * for a record the pipe never sent.
 */
export class OutboxPipe extends Construct {
  readonly pipe: CfnPipe;

  constructor(scope: Construct, id: string, props: { table: Table; queue: Queue }) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('the deliveries table needs a stream (lib/tables.ts)');
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
      description: 'tm-proxy: reads the outbox stream and sends its new deliveries to the deliveries queue',
    });
    // Stream reads (and the table key's decrypt) and SendMessage on this one queue, nothing else.
    props.table.grantStreamRead(role);
    props.queue.grantSendMessages(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams has no resource-level permissions (grantStreamRead); the reads are scoped to this stream.',
    });
    this.pipe = new CfnPipe(this, 'Pipe', {
      description: 'tm-proxy outbox: new delivery records -> deliveries queue',
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // From the oldest record the stream holds: nothing committed before the pipe ran is skipped.
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumBatchingWindowInSeconds: 0,
          // A record is sent at least once; a batch that fails is split to isolate the record at fault.
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
        },
        filterCriteria: { filters: OUTBOX_STREAM_FILTERS.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
      },
      target: props.queue.queueArn,
      targetParameters: { inputTemplate: OUTBOX_MESSAGE_TEMPLATE },
    });
    this.pipe.node.addDependency(role);
  }
}
