import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Validations } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The namespace of the cfn-guard plugin's rules in acknowledgements (`${GUARD}::<rule name>`). */
export const GUARD = 'cdk-validator-cfnguard';

/**
 * The policy checks every synth runs: cdk-nag's AwsSolutions and AWS Control Tower's proactive
 * controls through CloudFormation Guard (the cfn-guard binary ships inside the package and runs
 * offline). Each finding is fixed or acknowledged beside its resource, with the reason.
 */
export const addPolicyChecks = (app: IConstruct, options: { verbose?: boolean } = {}) =>
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, options), new CfnGuardValidator());

/**
 * Lets only AWS services create grants on a key (CT.KMS.PR.3): DynamoDB and SNS create grants
 * for their encryption; nobody else needs to, so a grant cannot hand the key to another principal.
 */
export const denyGrantsExceptForAwsServices = (key: IKey) =>
  key.addToResourcePolicy(
    new PolicyStatement({
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
