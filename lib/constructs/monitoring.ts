import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DELIVERY_TARGETS } from '../../functions/domain/webhooks/delivery.js';
import { denyGrantsExceptForAwsServices } from './policy-checks.js';

export interface MonitoringProps {
  api: HttpApi;
  validate: IFunction;
  deliver: IFunction;
  /** Alarm when the oldest pending case is this old (seconds): before the SLA closes it. */
  pendingWarningSeconds: number;
  deliveriesDlq: IQueue;
  /** The on-failure queues of stream consumers (ruleStats): a batch there was not turned into rows. */
  streamFailureQueues?: Record<string, IQueue>;
  /** Who is told when an alarm fires (optional; subscribe others to the topic later). */
  alarmEmail?: string | undefined;
}

/**
 * Alarms that mean "someone must look": a webhook we owe a partner is dead or stuck in the DLQ,
 * Toqio's validate calls fail or slow down. All go to one encrypted SNS topic.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'tm-proxy: encrypts alarm notifications',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    denyGrantsExceptForAwsServices(key);
    // CloudWatch must be able to publish to the encrypted topic.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'tm-proxy alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const alarm = (name: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    alarm(
      'DeliveriesDlqDepth',
      props.deliveriesDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      1,
      'A webhook we owe a partner is in the dead-letter queue: look at GET /api/deliveries?status=DEAD and retry it.',
    );
    for (const [name, queue] of Object.entries(props.streamFailureQueues ?? {})) {
      alarm(
        `${name[0]?.toUpperCase()}${name.slice(1)}StreamFailures`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `${name} could not handle a batch of its stream after its retries: the message names the shard and sequence numbers; fix the cause and run its backfill (README, Deploying).`,
      );
    }
    for (const target of DELIVERY_TARGETS) {
      alarm(
        `DeadDeliveries${target[0]?.toUpperCase()}${target.slice(1)}`,
        new Metric({
          namespace: 'TmProxy',
          metricName: 'webhook_dead',
          dimensionsMap: { service: 'tm-proxy', target },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        1,
        `A ${target} webhook went DEAD (refused or out of retries). Fix the cause, then retry it from the admin UI.`,
      );
    }
    alarm(
      'ValidateServerErrors',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'The API answered 5xx: Toqio may be treating payments as rejected.',
    );
    const count = (metricName: string) =>
      new Metric({
        namespace: 'TmProxy',
        metricName,
        dimensionsMap: { service: 'tm-proxy' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    alarm(
      'ValidateDegradedAnswers',
      count('validate_degraded'),
      1,
      'Validate answered REJECTED (SERVICE_DEGRADED) because storage did not answer in time: payments are being refused. ' +
        'These are 200s, so the 5xx alarm does not see them.',
    );
    alarm(
      'DegradedAnswersUnreconciled',
      count('validate_degraded_unreconciled'),
      1,
      'A degraded answer could not be queued for reconciliation: check the logged decision by hand (it may have been stored).',
    );
    alarm(
      'DegradedWebhookSentBeforeReconciliation',
      count('degraded_delivered_before_reconciliation'),
      1,
      'A webhook of a decision answered SERVICE_DEGRADED was sent before reconciliation: tell the partner (see the logs).',
    );
    alarm(
      'ValidateLatencyP99',
      props.validate.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
      1000,
      'Validate p99 above 1 s: Toqio waits synchronously for this answer.',
    );
    const pendingAge = new Metric({
      namespace: 'TmProxy',
      metricName: 'oldest_pending_case_age',
      dimensionsMap: { service: 'tm-proxy' },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    alarm(
      'OldestPendingCase',
      pendingAge,
      props.pendingWarningSeconds,
      'A pending payment is close to its time limit: an analyst should decide it before it expires.',
    );
    alarm(
      'ValidateThrottles',
      props.validate.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'Validate calls are throttled by Lambda concurrency: raise reserved/account concurrency.',
    );
    alarm(
      'ApiThrottlesAndClientErrors',
      props.api.metricClientError({ period: Duration.minutes(5), statistic: 'Sum' }),
      50,
      'Many 4xx (including 429 throttling and 401 bad keys) on the API: check the stage throttle and the Toqio key.',
    );
    alarm(
      'DeliverErrors',
      props.deliver.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'The deliver function failed (not a partner error): messages return to the queue until the DLQ.',
    );

    const webhook = (name: string) =>
      new Metric({
        namespace: 'TmProxy',
        metricName: name,
        dimensionsMap: { service: 'tm-proxy', target: 'toqio' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `tm-proxy-${scope.node.id}` });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Validate latency (ms)',
        left: [
          props.validate.metricDuration({ statistic: 'p50' }),
          props.validate.metricDuration({ statistic: 'p99' }),
        ],
      }),
      new GraphWidget({
        title: 'API errors and throttles',
        left: [props.api.metricServerError(), props.api.metricClientError(), props.validate.metricThrottles()],
      }),
      new GraphWidget({
        title: 'Toqio webhooks',
        left: [webhook('webhook_delivered'), webhook('webhook_retry'), webhook('webhook_dead')],
      }),
      new SingleValueWidget({
        title: 'Dead letters and oldest pending case',
        metrics: [props.deliveriesDlq.metricApproximateNumberOfMessagesVisible(), pendingAge],
      }),
    );
  }
}
