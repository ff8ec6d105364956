import type { RulesPerformance } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';
import { section } from '../../dom/widgets.js';
import { barChart, lineChart } from './charts.js';
import {
  decisionTime,
  hitsPerDaySeries,
  precisionBars,
  precisionText,
  queueSeries,
  rulesToTune,
  windowText,
} from './series.js';

/**
 * How the rule set did over the window: hits per day per rule, precision per rule, the queue per
 * day, and one row per rule, the rule to tune next first.
 */
export const performanceSection = (performance: RulesPerformance) => {
  const rules = rulesToTune(performance.rules);
  const hitting = rules.filter((rule) => rule.hits > 0);
  return section(
    `Rule performance, ${windowText(performance.from, performance.to)}`,
    h(
      'div',
      { class: 'charts' },
      // The rules that hit in the window, in the table's order: a rule has one colour in both charts.
      lineChart('chart-hits', 'Hits per day per rule', hitsPerDaySeries({ ...performance, rules: hitting })),
      barChart(
        'chart-precision',
        'Precision per rule: of the cases analysts decided, the share they rejected (rejected/decided)',
        precisionBars(hitting),
        { unit: '%', max: 100 },
      ),
      lineChart(
        'chart-queue',
        'The queue per day: cases opened, closed, and open at the day’s end',
        queueSeries(performance),
      ),
    ),
    h(
      'p',
      { class: 'muted', id: 'tune-order' },
      'Sorted so the rule to tune next comes first: most false alarms (cases analysts approved after the rule held them), then lowest precision, then most hits.',
    ),
    table(
      {
        id: 'rule-performance',
        headers: [
          'Rule',
          'Hits',
          'Cases opened',
          'Analysts approved (false alarms)',
          'Analysts rejected',
          'Precision',
          'Median time to decision',
          'Hits per day',
        ],
        empty: 'No rule hit in this window.',
      },
      rules.map((rule) => ({
        attrs: { 'data-rule': rule.rule },
        cells: [
          h('code', {}, rule.rule),
          String(rule.hits),
          String(rule.casesOpened),
          String(rule.analystApproved),
          String(rule.analystRejected),
          precisionText(rule),
          decisionTime(rule.medianTimeToDecisionSeconds),
          String(Math.round(rule.hitsPerDay * 100) / 100),
        ],
      })),
    ),
  );
};
