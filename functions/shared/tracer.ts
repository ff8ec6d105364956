import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray tracing through Powertools: one segment per invocation, a subsegment per AWS SDK call
 * (clients are wrapped where each function creates them), annotated with the transaction id. Off outside Lambda
 * (POWERTOOLS_TRACE_ENABLED=false locally).
 */
export const tracer = new Tracer({ serviceName: 'tm-proxy' });
