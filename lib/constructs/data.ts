import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type IndexSpec, TABLES, type TableKey } from '../tables.js';
import { denyGrantsExceptForAwsServices } from './policy-checks.js';

/**
 * The stateful heart: every table of lib/tables.ts, encrypted with a customer-managed key,
 * with point-in-time recovery and deletion protection, kept if the stack is deleted.
 */
export class Data extends Construct {
  readonly key: Key;
  readonly tables: Record<TableKey, Table>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'TableKey', {
      description: 'tm-proxy: encrypts decisions and counters at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    denyGrantsExceptForAwsServices(this.key);
    const tables = {} as Record<TableKey, Table>;
    for (const [name, spec] of Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][]) {
      const table = new Table(this, spec.id, {
        partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
        ...('sortKey' in spec ? { sortKey: { name: spec.sortKey, type: AttributeType.STRING } } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...('ttlAttribute' in spec ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
        ...('stream' in spec ? { stream: StreamViewType[spec.stream] } : {}),
      });
      for (const index of spec.indexes as readonly IndexSpec[]) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          ...(index.include
            ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
            : { projectionType: ProjectionType.ALL }),
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
        });
      }
      tables[name] = table;
    }
    this.tables = tables;
  }
}
