import { type Attrs, type Child, h } from './h.js';

/** One row: its cells, and optionally attributes of the `<tr>` (a `data-id`, a click handler). */
export interface TableRow {
  cells: Child[];
  attrs?: Attrs;
}

export interface TableSpec {
  /** The table's id, which the browser tests and the CSS address. */
  id?: string;
  headers: readonly string[];
  /** What an empty table says in its one row; without it an empty table has no rows. */
  empty?: string;
}

/** A table that can grow (the queue's "Load more"): `append` adds rows and keeps the empty row right. */
export interface GrowingTable {
  element: HTMLTableElement;
  append(rows: readonly (TableRow | Child[])[]): void;
}

const rowOf = (row: TableRow | Child[]): TableRow => (Array.isArray(row) ? { cells: row } : row);

/** The one way the UI builds a table: headers, rows of cells, and a row that says it is empty. */
export const growingTable = (spec: TableSpec): GrowingTable => {
  const body = h('tbody');
  const element = h(
    'table',
    spec.id ? { id: spec.id } : {},
    h('thead', {}, h('tr', {}, ...spec.headers.map((title) => h('th', {}, title)))),
    body,
  );
  let emptyRow: HTMLTableRowElement | undefined;
  return {
    element,
    append(rows) {
      emptyRow?.remove();
      emptyRow = undefined;
      for (const row of rows.map(rowOf))
        body.append(h('tr', row.attrs ?? {}, ...row.cells.map((cell) => h('td', {}, cell))));
      if (body.children.length === 0 && spec.empty !== undefined) {
        emptyRow = h('tr', {}, h('td', { colspan: String(spec.headers.length), class: 'muted' }, spec.empty));
        body.append(emptyRow);
      }
    },
  };
};

/** A table whose rows are all known at once. */
export const table = (spec: TableSpec, rows: readonly (TableRow | Child[])[]): HTMLTableElement => {
  const built = growingTable(spec);
  built.append(rows);
  return built.element;
};
