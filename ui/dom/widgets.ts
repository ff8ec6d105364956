import { words } from '../format.js';
import { h } from './h.js';

/** A status as a coloured badge; app.css colours it by the status's name. */
export const badge = (status: string) => h('span', { class: `badge ${status}` }, words(status));

/** A definition list of label/value pairs; an empty value shows as a dash. */
export const definitionList = (pairs: readonly (readonly [string, unknown])[]) =>
  h(
    'dl',
    {},
    ...pairs.flatMap(([term, value]) => [
      h('dt', {}, term),
      h('dd', {}, value === null || value === undefined || value === '' ? '—' : String(value)),
    ]),
  );

/** A titled white card. */
export const section = (title: string | null, ...children: (Node | string | null | undefined)[]) =>
  h('section', {}, title === null ? null : h('h2', {}, title), ...children);
