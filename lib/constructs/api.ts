import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName, RouteSpec } from '../routes.js';
import { GUARD } from './policy-checks.js';

export interface ApiProps {
  routes: readonly RouteSpec[];
  functions: Partial<Record<FunctionName, IFunction>>;
  /** Steady-state requests per second and burst for the whole API. */
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The HTTP API Toqio (and later OnePipe) call: one route per route-table entry, throttled, with
 * JSON access logs. Authentication is checked in the handlers (HTTP APIs have no API keys).
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'tm-proxy: Toqio transaction monitoring and partner notifications',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: `${GUARD}::cloudwatch_log_group_encrypted_check`,
      reason:
        'Access logs hold request metadata (ids, paths, status, source IP), no bodies; CloudWatch Logs encrypts them at rest with its own keys.',
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    for (const route of props.routes) {
      const fn = props.functions[route.function];
      if (!fn)
        throw new Error(`route ${route.method} ${route.path} names function ${route.function}, which is not built`);
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.function}-${route.method}-${route.path}`, fn),
      });
    }
    Validations.of(this.httpApi).acknowledge(
      {
        id: `${GUARD}::api_gw_v2_authorization_type_configured_check`,
        reason:
          "Each route's caller is checked in its handler in constant time (Toqio API key, OnePipe and provider signatures); HTTP APIs offer no API keys, and health is public by design.",
      },
      {
        id: `${GUARD}::lambda_function_public_access_prohibited_check`,
        reason:
          "Each permission is scoped by SourceArn to its own route of this API; the rule cannot read an ARN built with Fn::Join (the construct's execute-api ARN).",
      },
    );
  }

  get url(): string {
    return this.stage.url;
  }
}
