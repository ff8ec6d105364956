/**
 * `npm run backfill:rule-stats -- --decisions <decisions table> --analytics <analytics table>
 * [--region r] [--endpoint url]`: the rule statistics of decisions stored before the ruleStats
 * function existed. Every stored decision goes through the same mapping as the stream's records
 * (functions/domain/rules/rule-stats.ts); each row is written only over an older image's, so it is
 * safe to run while the stream runs, and to run again. Run it once after the deploy that adds
 * ruleStats (README Deploying).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backfillRuleStats } from '../functions/adapters/rule-stats-repository.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};

if (process.argv[1]?.endsWith('backfill-rule-stats.ts')) {
  const decisions = argument('decisions');
  const analytics = argument('analytics');
  if (!decisions || !analytics) {
    console.error(
      'usage: npm run backfill:rule-stats -- --decisions <decisions table> --analytics <analytics table> [--region r] [--endpoint url]',
    );
    process.exit(2);
  }
  const endpoint = argument('endpoint');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(argument('region') ? { region: argument('region') } : {}),
      ...(endpoint ? { endpoint } : {}),
    }),
  );
  const result = await backfillRuleStats(client, { decisions, analytics }, ({ scanned, rows }) =>
    console.log(`scanned ${scanned} decisions, ${rows} rows so far`),
  );
  console.log(`backfilled ${result.rows} rows from ${result.scanned} decisions into ${analytics}`);
  client.destroy();
}
